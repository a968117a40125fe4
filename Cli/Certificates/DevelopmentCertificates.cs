using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Migration.Cli.Certificates;

/// <summary>
/// A development CA and the two certificates of the OMA–VMA tunnel it signs: the VMA's server certificate (names
/// localhost and 127.0.0.1 plus any others given) and the OMA's client certificate. ECDSA P-256, PEM.
/// </summary>
public sealed class DevelopmentCertificates
{
    private DevelopmentCertificates(X509Certificate2 ca, X509Certificate2 vma, X509Certificate2 oma)
    {
        Ca = ca;
        Vma = vma;
        Oma = oma;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Vma { get; }

    public X509Certificate2 Oma { get; }

    /// <summary>The files <c>certs init</c> writes, in order.</summary>
    public static readonly string[] FileNames = ["ca.pem", "vma.pem", "vma-key.pem", "oma.pem", "oma-key.pem"];

    public static DevelopmentCertificates Create(TimeProvider time, TimeSpan validity, IEnumerable<string>? extraVmaNames = null,
        string caName = "Migration development CA")
    {
        var now = time.GetUtcNow();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(new X500DistinguishedName($"CN={caName}"), caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now + validity);

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        foreach (var name in extraVmaNames ?? [])
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                names.AddIpAddress(ip);
            }
            else
            {
                names.AddDnsName(name);
            }
        }

        var vma = Issue(ca, "migration-vma", CertificateUsage.Server, names.Build(), now, validity);
        var oma = Issue(ca, "migration-oma", CertificateUsage.Client, null, now, validity);
        return new DevelopmentCertificates(ca, vma, oma);
    }

    /// <summary>A leaf certificate signed by <paramref name="issuer"/> (which must hold its private key).</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string commonName, CertificateUsage usage,
        X509Extension? subjectAlternativeNames, DateTimeOffset now, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(usage == CertificateUsage.Server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (subjectAlternativeNames is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeNames);
        }

        var notAfter = now + validity < issuer.NotAfter ? now + validity : new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        using var signed = request.Create(issuer, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the five PEM files; private keys are created readable by the owner only (0600).</summary>
    public void Write(string directory, bool overwrite)
    {
        Directory.CreateDirectory(directory);
        var existing = FileNames.Where(name => File.Exists(Path.Combine(directory, name))).ToList();
        if (existing.Count > 0 && !overwrite)
        {
            throw new IOException($"{string.Join(", ", existing)} already exist in {directory}; pass --force to replace them");
        }

        WritePem(Path.Combine(directory, "ca.pem"), Ca.ExportCertificatePem(), secret: false);
        WritePair(directory, "vma", Vma);
        WritePair(directory, "oma", Oma);
    }

    /// <summary>Writes <c>NAME.pem</c> and <c>NAME-key.pem</c>.</summary>
    public static void WritePair(string directory, string name, X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException($"{name}: no ECDSA private key");
        // Key first: a watcher that sees the certificate change then finds its key already in place.
        WritePem(Path.Combine(directory, $"{name}-key.pem"), key.ExportPkcs8PrivateKeyPem(), secret: true);
        WritePem(Path.Combine(directory, $"{name}.pem"), certificate.ExportCertificatePem(), secret: false);
    }

    private static void WritePem(string path, string pem, bool secret)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(pem);
            writer.Write('\n');
        }

        if (secret && !OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only to new files; an overwritten key keeps tight permissions too.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}

public enum CertificateUsage
{
    Server,
    Client,
}
