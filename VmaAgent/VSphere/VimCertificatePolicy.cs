using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// Decides whether vCenter's certificate is trusted: a pinned SHA-256 or SHA-1 thumbprint, else a CA bundle, else the
/// system trust store. Accepting any certificate happens only when the operator set the insecure option.
/// </summary>
public sealed class VimCertificatePolicy
{
    private readonly byte[]? _pinned;
    private readonly X509Certificate2Collection? _roots;
    private readonly bool _insecure;

    public VimCertificatePolicy(string? thumbprint, string? caFile, bool insecure)
    {
        _insecure = insecure;
        if (!string.IsNullOrWhiteSpace(thumbprint))
        {
            var hex = thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            _pinned = hex.Length is 40 or 64 ? Convert.FromHexString(hex)
                : throw new ArgumentException("Vma:VSphere:Thumbprint must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint");
        }

        if (!string.IsNullOrWhiteSpace(caFile))
        {
            _roots = [];
            _roots.ImportFromPemFile(caFile);
            if (_roots.Count == 0)
            {
                throw new ArgumentException($"Vma:VSphere:CaFile {caFile} holds no certificate");
            }
        }
    }

    /// <summary>What is checked, for the start-up log line.</summary>
    public string Describe() =>
        _insecure ? "NOT CHECKED (Vma:VSphere:Insecure)" : _pinned is not null ? $"pinned {(_pinned.Length == 32 ? "SHA-256" : "SHA-1")} thumbprint"
        : _roots is not null ? "CA bundle" : "system trust store";

    public bool IsInsecure => _insecure;

    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_insecure)
        {
            return AcceptedBecauseInsecure();
        }

        if (certificate is null)
        {
            return false;
        }

        if (_pinned is not null)
        {
            var raw = certificate.GetRawCertData();
            var actual = _pinned.Length == 32 ? SHA256.HashData(raw) : SHA1.HashData(raw);
            return CryptographicOperations.FixedTimeEquals(actual, _pinned);
        }

        if (_roots is not null)
        {
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false; // a name mismatch is not forgiven by a private CA
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = new X509Certificate2(certificate);
            return custom.Build(leaf);
        }

        return errors == SslPolicyErrors.None;
    }

    private bool AcceptedBecauseInsecure() => _insecure;
}
