using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Migration.VmaAgent.Tls;

/// <summary>Once the server listens, warns about every plain-HTTP address that other machines can reach.</summary>
public sealed partial class PlainHttpWarning(IServer server, IHostApplicationLifetime lifetime, ILogger<PlainHttpWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            {
                if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri.Host))
                {
                    LogPlainHttp(logger, address);
                }
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The VMA API is served over plain HTTP on {Address}, reachable from other machines: anyone who can connect may start and cancel jobs. Configure Kestrel:Endpoints:Https with client certificates (README, \"TLS\")")]
    private static partial void LogPlainHttp(ILogger logger, string address);
}
