using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Migration.Contracts.Tls;

/// <summary>
/// The one rule both ends of the OMA–VMA tunnel apply to the other's certificate: it matches a pinned SHA-256
/// thumbprint, or it chains to the configured CA bundle (and only to it: the system's roots do not count) with the
/// expected extended key usage. Either way it must be inside its validity period.
/// </summary>
public sealed class CertificateTrust(PemCertificateBundleFile? roots, IEnumerable<string>? pinnedThumbprints, Oid keyUsage, TimeProvider time)
{
    /// <summary>Extended key usage of a TLS server certificate (the VMA's).</summary>
    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    /// <summary>Extended key usage of a TLS client certificate (the OMA's).</summary>
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private readonly HashSet<string> _pins = (pinnedThumbprints ?? []).Select(NormalizeThumbprint).Where(p => p.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when neither a CA bundle nor a pin is configured (the caller decides what that means).</summary>
    public bool IsEmpty => roots is null && _pins.Count == 0;

    /// <summary>SHA-256 of the certificate's DER bytes, upper-case hex without separators (the form pins are written in).</summary>
    public static string Thumbprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>Accepts <c>AB:CD:…</c>, <c>ab cd …</c> and plain hex alike.</summary>
    public static string NormalizeThumbprint(string text) =>
        string.Concat(text.Where(char.IsAsciiHexDigit)).ToUpperInvariant();

    /// <summary>Null when the certificate is trusted, else why not (for the log).</summary>
    public string? Check(X509Certificate2? certificate, X509Chain? presented = null)
    {
        if (certificate is null)
        {
            return "no certificate was presented";
        }

        var now = time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            return $"the certificate is valid only from {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O}";
        }

        if (_pins.Contains(Thumbprint(certificate)))
        {
            return null;
        }

        if (roots is null)
        {
            return $"its SHA-256 thumbprint {Thumbprint(certificate)} is not pinned";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.Current);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(keyUsage);
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        var reasons = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return _pins.Count > 0
            ? $"it is neither pinned nor issued by the configured CA ({reasons})"
            : $"it is not issued by the configured CA ({reasons})";
    }
}
