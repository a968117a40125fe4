using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Migration.Contracts.Text;
using Migration.Contracts.Tls;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// The OMA's half of mutual TLS with VMAs: the client certificate it presents (re-read when its files change, so the
/// next connection uses a rotated one) and the check of the VMA's certificate against <c>VmaClient:TrustedCaPath</c>
/// or <c>VmaClient:PinnedThumbprints</c>, with the host name checked unless turned off.
/// </summary>
public sealed partial class VmaClientTls
{
    private readonly PemCertificateFile? _clientCertificate;
    private readonly CertificateTrust _trust;
    private readonly bool _verifyHostname;
    private readonly ILogger _logger;

    public VmaClientTls(VmaClientOptions options, TimeProvider time, ILogger logger)
    {
        _logger = logger;
        _verifyHostname = options.VerifyHostname;
        var files = options.ClientCertificate;
        if (!string.IsNullOrWhiteSpace(files.Path) || !string.IsNullOrWhiteSpace(files.KeyPath))
        {
            if (string.IsNullOrWhiteSpace(files.Path) || string.IsNullOrWhiteSpace(files.KeyPath))
            {
                throw new InvalidOperationException("VmaClient:ClientCertificate needs both Path and KeyPath (PEM files)");
            }

            _clientCertificate = new PemCertificateFile(files.Path, files.KeyPath, message => LogReloadFailed(logger, SafeText.Escape(message)));
        }

        var roots = string.IsNullOrWhiteSpace(options.TrustedCaPath)
            ? null
            : new PemCertificateBundleFile(options.TrustedCaPath, message => LogReloadFailed(logger, SafeText.Escape(message)));
        _trust = new CertificateTrust(roots, options.PinnedThumbprints, CertificateTrust.ServerAuthentication, time);
        if (!_verifyHostname)
        {
            LogHostnameCheckOff(logger);
        }
    }

    /// <summary>Sets the handler's TLS options: the client certificate callback, and the server check when a CA or pin is configured (otherwise the system's roots decide).</summary>
    public void Apply(SslClientAuthenticationOptions ssl)
    {
        if (_clientCertificate is not null)
        {
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => _clientCertificate.Current;
        }

        if (!_trust.IsEmpty || !_verifyHostname)
        {
            ssl.RemoteCertificateValidationCallback = ValidateServer;
        }
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "";
        string? refusal;
        if (certificate is null)
        {
            refusal = "the VMA presented no certificate";
        }
        else if (_verifyHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            refusal = $"its certificate does not name the host '{host}'";
        }
        else if (_trust.IsEmpty)
        {
            // Only the host-name check is off: the system's roots still decide.
            refusal = (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None ? null : $"the certificate is not trusted ({errors})";
        }
        else
        {
            // SslStream owns the certificate it hands over: checked here, never disposed here.
            refusal = _trust.Check(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain);
        }

        if (refusal is not null)
        {
            LogRefused(_logger, SafeText.Escape(host), certificate is null ? "" : SafeText.Escape(certificate.Subject), SafeText.Escape(refusal));
        }

        return refusal is null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the certificate {Subject} of the VMA at {Host}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string host, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not re-read a TLS file: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VmaClient:VerifyHostname is false: a VMA certificate is accepted for any host name (INSECURE against a stolen certificate of another site)")]
    private static partial void LogHostnameCheckOff(ILogger logger);
}
