using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Migration.Contracts.Text;
using Migration.Contracts.Tls;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Tls;

/// <summary>
/// Adds to Kestrel's own HTTPS configuration what it cannot express: the server certificate re-read when its files
/// change (a selector wins over the certificate Kestrel loaded at start-up), client certificates checked by
/// <see cref="ClientCertificatePolicy"/>, and the plain health-probe listeners of <c>Vma:Tls:HealthUrls</c>.
/// </summary>
public sealed partial class KestrelTlsSetup(
    HttpsEndpointSettings https,
    ClientCertificatePolicy policy,
    IOptions<VmaOptions> options,
    ILogger<KestrelTlsSetup> logger) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var certificate = new PemCertificateFile(https.CertificatePath, https.KeyPath,
            message => LogReloadFailed(logger, SafeText.Escape(message)));
        kestrel.ConfigureHttpsDefaults(tls =>
        {
            tls.ServerCertificateSelector = (_, _) => certificate.Current;
            // Allow, not Require: a caller without a certificate reaches ClientCertificateGate, which answers 403 and logs it.
            tls.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            tls.ClientCertificateValidation = policy.Validate;
        });

        foreach (var url in options.Value.Tls.HealthUrlList)
        {
            var address = BindingAddress.Parse(url);
            if (!string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Vma:Tls:HealthUrls: '{url}' must be an http:// URL (the health port is plain by design)");
            }

            if (address.Host is "localhost")
            {
                kestrel.ListenLocalhost(address.Port);
            }
            else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
            {
                kestrel.Listen(ip, address.Port);
            }
            else
            {
                kestrel.ListenAnyIP(address.Port);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not re-read the agent's certificate: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
