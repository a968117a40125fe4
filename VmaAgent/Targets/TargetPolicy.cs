using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Targets;

/// <summary>
/// Where a request may make this agent write: <c>file://</c> targets only inside <c>Vma:Target:AllowedRoots</c> (real
/// paths, symlinks resolved, no <c>..</c>, never the kernel's virtual file systems), <c>nbd://</c> targets only to
/// <c>Vma:Target:AllowedNbdHosts</c>, <c>nbd+unix://</c> sockets only below its <c>unix:&lt;directory&gt;</c> entries. Checked before a job exists, so a refused request writes nothing.
/// </summary>
public sealed class TargetPolicy
{
    private static readonly string[] VirtualFileSystems = ["/dev", "/proc", "/sys"];
    private const string UnixPrefix = "unix:";
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "::1", "unix:/"];

    private readonly string[] _roots;
    private readonly HashSet<string> _nbdHosts;

    public TargetPolicy(IOptions<VmaOptions> options)
    {
        var target = options.Value.Target;
        _roots = (target.AllowedRoots.Count > 0 ? target.AllowedRoots : [target.Directory])
            .Select(root => WithSeparator(RealPath(Path.GetFullPath(root))))
            .ToArray();
        _nbdHosts = new HashSet<string>(target.AllowedNbdHosts.Count > 0 ? target.AllowedNbdHosts : LoopbackHosts, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Null when this agent may write to <paramref name="text"/>, else why not (for <c>target.disks.&lt;id&gt;.uri</c>).</summary>
    public string? Check(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return null; // the parser has already said what is wrong with it
        }

        if (Nbd.NbdAddress.Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            if (Nbd.NbdAddress.TryParse(uri, out var address) is not null || address is null)
            {
                return null; // the parser has already said what is wrong with it
            }

            if (address.SocketPath is { } socket)
            {
                // A Unix socket is a local endpoint: entries "unix:<directory>" allow the sockets below that directory.
                var realSocket = RealPath(Path.GetFullPath(socket));
                return _nbdHosts.Any(entry => entry.StartsWith(UnixPrefix, StringComparison.Ordinal)
                                              && realSocket.StartsWith(entry[UnixPrefix.Length..], StringComparison.Ordinal))
                    ? null
                    : "the NBD socket is not below a directory this agent may use (Vma:Target:AllowedNbdHosts entries unix:<directory>)";
            }

            return _nbdHosts.Contains(address.Host ?? "") || _nbdHosts.Contains(uri.Host)
                ? null
                : $"the NBD host '{address.Host}' is not one this agent may write to (Vma:Target:AllowedNbdHosts)";
        }

        if (!uri.IsFile)
        {
            return null;
        }

        var rawPath = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        if (Uri.UnescapeDataString(rawPath).Split('/', '\\').Any(segment => segment is ".." or "."))
        {
            return "must not contain '.' or '..' path segments";
        }

        var path = uri.LocalPath;
        if (path.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        var real = RealPath(Path.GetFullPath(path));
        if (VirtualFileSystems.Any(fs => real == fs || real.StartsWith(fs + "/", StringComparison.Ordinal)))
        {
            return "device and kernel files are never targets; name an image file inside the agent's target roots";
        }

        if (!_roots.Any(root => real.StartsWith(root, StringComparison.Ordinal)))
        {
            return real == path
                ? $"is outside the directories this agent may write to ({string.Join(", ", _roots)}; Vma:Target:AllowedRoots)"
                : $"leads (through a symbolic link) outside the directories this agent may write to ({string.Join(", ", _roots)})";
        }

        return Directory.Exists(real) ? "names a directory; name an image file" : null;
    }

    /// <summary>The path with every symbolic link along it resolved; the part that does not exist yet is kept as given.</summary>
    private static string RealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists)
            {
                return Path.Combine([current, .. parts[i..]]);
            }

            current = info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target
                ? RealPath(Path.GetFullPath(target.FullName))
                : next;
        }

        return current;
    }

    private static string WithSeparator(string path) => path.EndsWith('/') ? path : path + "/";
}
