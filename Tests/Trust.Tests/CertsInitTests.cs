using System.Security.Cryptography.X509Certificates;
using Migration.Cli.CommandLine;

namespace Migration.Tests.Trust;

public sealed class CertsInitTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "certs-init-" + Guid.NewGuid().ToString("N"));

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Certs_init_writes_a_CA_and_both_certificates_with_private_keys_readable_by_the_owner_only()
    {
        var exit = await CliApp.RunAsync(["certs", "init", "--out", _directory, "--vma-names", "vma-site-a.example,10.1.2.3"], CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "vma-key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "oma-key.pem")));
        using var vma = X509Certificate2.CreateFromPemFile(Path.Combine(_directory, "vma.pem"), Path.Combine(_directory, "vma-key.pem"));
        using var oma = X509Certificate2.CreateFromPemFile(Path.Combine(_directory, "oma.pem"), Path.Combine(_directory, "oma-key.pem"));
        Assert.True(vma.HasPrivateKey && oma.HasPrivateKey);
        Assert.True(vma.MatchesHostname("localhost") && vma.MatchesHostname("127.0.0.1") && vma.MatchesHostname("vma-site-a.example") && vma.MatchesHostname("10.1.2.3"));
        Assert.False(vma.MatchesHostname("elsewhere.example"));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path.Combine(_directory, "ca.pem"));
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(oma));
    }

    [Fact]
    public async Task Certs_init_refuses_to_overwrite_unless_forced()
    {
        Assert.Equal(0, await CliApp.RunAsync(["certs", "init", "--out", _directory], CancellationToken.None));
        var first = await File.ReadAllTextAsync(Path.Combine(_directory, "ca.pem"));

        var again = await CliApp.RunAsync(["certs", "init", "--out", _directory], CancellationToken.None);
        var unchanged = await File.ReadAllTextAsync(Path.Combine(_directory, "ca.pem"));
        var forced = await CliApp.RunAsync(["certs", "init", "--out", _directory, "--force"], CancellationToken.None);

        Assert.Equal(1, again);
        Assert.Equal(first, unchanged);
        Assert.Equal(0, forced);
        Assert.NotEqual(first, await File.ReadAllTextAsync(Path.Combine(_directory, "ca.pem")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
