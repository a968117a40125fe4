using System.CommandLine;
using Migration.Cli.Certificates;
using Migration.Cli.CommandLine;
using Migration.Contracts.Tls;

namespace Migration.Cli.Commands;

/// <summary><c>certs init</c>: a development CA plus the VMA's and the OMA's certificates for mutual TLS.</summary>
public static class CertsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory to write ca.pem, vma.pem, vma-key.pem, oma.pem, oma-key.pem into", HelpName = "DIR", Required = true };
        var vmaNames = CliOptions.Text("--vma-names", "NAME,IP,...", "Extra DNS names and IP addresses of the VMA certificate, comma-separated (localhost and 127.0.0.1 are always in it)");
        var days = CliOptions.Int("--days", 365, 1, 3650, "Days the certificates are valid");
        var force = CliOptions.Flag("--force", "Overwrite existing files");
        var init = new Command("init", "Write a development CA and the VMA's and OMA's certificates for mutual TLS (development only)")
        {
            output, vmaNames, days, force,
        };
        init.SetAction((parsed, ct) => RunAsync(parsed.GetValue(output)!, parsed.GetValue(vmaNames), parsed.GetValue(days), parsed.GetValue(force), ct));
        return new Command("certs", "Development certificates for TLS between the OMA and the VMA") { init };
    }

    public static Task<int> RunAsync(string directory, string? vmaNames, int days, bool force, CancellationToken cancellationToken)
    {
        var names = (vmaNames ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var certificates = DevelopmentCertificates.Create(TimeProvider.System, TimeSpan.FromDays(days), names);
        try
        {
            certificates.Write(directory, force);
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
