using System.Security.Cryptography.X509Certificates;
using Migration.Cli.Certificates;
using Migration.Contracts.Tls;

namespace Migration.Tests.Trust;

/// <summary>What <c>certs init</c> writes, in a temp directory of its own, plus helpers to issue and rotate certificates.</summary>
public sealed class CertificateSet : IDisposable
{
    public CertificateSet(IEnumerable<string>? extraVmaNames = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "trust-tests-" + Guid.NewGuid().ToString("N"));
        Certificates = DevelopmentCertificates.Create(TimeProvider.System, TimeSpan.FromDays(2), extraVmaNames);
        Certificates.Write(Directory, overwrite: false);
    }

    public string Directory { get; }

    public DevelopmentCertificates Certificates { get; }

    public string CaPath => Path.Combine(Directory, "ca.pem");

    public string VmaPath => Path.Combine(Directory, "vma.pem");

    public string VmaKeyPath => Path.Combine(Directory, "vma-key.pem");

    public string OmaPath => Path.Combine(Directory, "oma.pem");

    public string OmaKeyPath => Path.Combine(Directory, "oma-key.pem");

    /// <summary>A new certificate from this set's CA.</summary>
    public X509Certificate2 Issue(string commonName, CertificateUsage usage, params string[] dnsNames)
    {
        X509Extension? names = null;
        if (dnsNames.Length > 0)
        {
            var builder = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                builder.AddDnsName(name);
            }

            names = builder.Build();
        }

        return DevelopmentCertificates.Issue(Certificates.Ca, commonName, usage, names, DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
    }

    /// <summary>Replaces <c>NAME.pem</c>/<c>NAME-key.pem</c> in place, as a secret update does.</summary>
    public string Rotate(string name, X509Certificate2 certificate)
    {
        DevelopmentCertificates.WritePair(Directory, name, certificate);
        return CertificateTrust.Thumbprint(certificate);
    }

    public void Dispose()
    {
        // A host of the test may still be writing beside the certificates (its last log or key file) while it stops:
        // try again briefly rather than fail a test that passed over a temporary directory.
        for (var attempt = 1; System.IO.Directory.Exists(Directory); attempt++)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(100);
            }
        }
    }
}
