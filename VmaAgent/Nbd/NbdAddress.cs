using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// Where an export lives: <c>nbd://host[:port]/export</c> (TCP, port 10809 by default) or
/// <c>nbd+unix:///export?socket=/path/to.sock</c> (the NBD URI standard's forms).
/// </summary>
public sealed record NbdAddress(string ExportName, string? Host, int Port, string? SocketPath)
{
    public const int DefaultPort = 10809;

    public static readonly IReadOnlyCollection<string> Schemes = ["nbd", "nbd+unix"];

    /// <summary>The URI as operators write it; also the name errors use for the export.</summary>
    public string Display => SocketPath is null
        ? string.Create(CultureInfo.InvariantCulture, $"nbd://{(Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/{ExportName}")
        : $"nbd+unix:///{ExportName}?socket={SocketPath}";

    public EndPoint EndPoint => SocketPath is not null ? new UnixDomainSocketEndPoint(SocketPath)
        : IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port)
        : new DnsEndPoint(Host!, Port);

    public override string ToString() => Display;

    /// <summary>Null (with the address) when <paramref name="uri"/> is a usable NBD URI, else why not.</summary>
    public static string? TryParse(Uri uri, out NbdAddress? address)
    {
        address = null;
        var export = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (export.Length > 4096)
        {
            return "the export name is longer than 4096 bytes";
        }

        switch (uri.Scheme.ToLowerInvariant())
        {
            case "nbd":
                if (string.IsNullOrEmpty(uri.Host))
                {
                    return "nbd:// needs a host: nbd://host:port/export";
                }

                if (!string.IsNullOrEmpty(uri.Query))
                {
                    return "nbd:// URIs take no query (TLS is not supported by this client)";
                }

                address = new NbdAddress(export, uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, null);
                return null;
            case "nbd+unix":
                if (!string.IsNullOrEmpty(uri.Host))
                {
                    return "nbd+unix:// takes no host: nbd+unix:///export?socket=/path/to.sock";
                }

                var socket = SocketQuery(uri.Query);
                if (socket is null || !Path.IsPathFullyQualified(socket))
                {
                    return "nbd+unix:// needs ?socket=<absolute path of the server's socket>";
                }

                address = new NbdAddress(export, null, 0, socket);
                return null;
            default:
                return $"'{uri.Scheme}' is not an NBD scheme (nbd or nbd+unix)";
        }
    }

    public static NbdAddress Parse(Uri uri) =>
        TryParse(uri, out var address) is { } problem ? throw new FormatException($"{uri}: {problem}") : address!;

    private static string? SocketQuery(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq] == "socket")
            {
                return Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        return null;
    }
}
