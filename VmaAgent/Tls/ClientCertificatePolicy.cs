using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Migration.Contracts.Text;
using Migration.Contracts.Tls;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Tls;

/// <summary>Decides, during the TLS handshake, whether a caller's certificate is an OMA's; every refusal is logged.</summary>
public sealed partial class ClientCertificatePolicy
{
    private readonly CertificateTrust _trust;
    private readonly ILogger<ClientCertificatePolicy> _logger;

    public ClientCertificatePolicy(IOptions<VmaOptions> options, TimeProvider time, ILogger<ClientCertificatePolicy> logger)
    {
        _logger = logger;
        var tls = options.Value.Tls;
        var roots = string.IsNullOrWhiteSpace(tls.ClientCaPath)
            ? null
            : new PemCertificateBundleFile(tls.ClientCaPath, message => LogReloadFailed(logger, SafeText.Escape(message)));
        _trust = new CertificateTrust(roots, tls.AllowedClientThumbprints, CertificateTrust.ClientAuthentication, time);
        if (_trust.IsEmpty)
        {
            throw new InvalidOperationException(
                "the agent serves HTTPS but no client may call it: set Vma:Tls:ClientCaPath (a PEM CA bundle) or Vma:Tls:AllowedClientThumbprints");
        }
    }

    /// <summary>Kestrel's ClientCertificateValidation callback.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = _trust.Check(certificate, chain);
        if (refusal is null)
        {
            return true;
        }

        LogRefused(_logger, SafeText.Escape(certificate.Subject), CertificateTrust.Thumbprint(certificate), SafeText.Escape(refusal));
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a client certificate {Subject} (SHA-256 {Thumbprint}) during the TLS handshake: {Reason}")]
    private static partial void LogRefused(ILogger logger, string subject, string thumbprint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not re-read the client CA bundle: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
