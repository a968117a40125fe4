using Migration.Cli.Certificates;
using Migration.Contracts.Tls;

namespace Migration.Cli.Commands;

/// <summary><c>certs init</c>: a development CA plus the VMA's and the OMA's certificates for mutual TLS.</summary>
public static class CertsCommand
{
    public const string Usage = "certs init --out DIR [--vma-names NAME,IP,...] [--days N] [--force]";

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.FirstOrDefault() != "init")
        {
            throw new CliException("certs: the only subcommand is 'init'");
        }

        var cli = new CliArguments(args.Skip(1), new HashSet<string> { "out", "vma-names", "days" }, new HashSet<string> { "force" });
        var directory = cli.Option("out") ?? throw new CliException("certs init needs --out DIR");
        var days = cli.Int("days", 365, 1, 3650);
        var names = (cli.Option("vma-names") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var certificates = DevelopmentCertificates.Create(TimeProvider.System, TimeSpan.FromDays(days), names);
        try
        {
            certificates.Write(directory, cli.Flag("force"));
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return Task.FromResult(1);
        }

        Console.WriteLine($"wrote {string.Join(", ", DevelopmentCertificates.FileNames)} to {Path.GetFullPath(directory)}");
        Console.WriteLine($"vma.pem SHA-256 {CertificateTrust.Thumbprint(certificates.Vma)} (names: localhost, 127.0.0.1{string.Concat(names.Select(n => ", " + n))})");
        Console.WriteLine($"oma.pem SHA-256 {CertificateTrust.Thumbprint(certificates.Oma)}");
        Console.WriteLine($"valid for {days} days; the keys are readable by their owner only. For development only: see README \"TLS\" for a real deployment.");
        return Task.FromResult(0);
    }
}
