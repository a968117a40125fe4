using Migration.Cli.Embedded;

namespace Migration.Cli.Commands;

/// <summary>What every demo shares: its database, its target directory, its time limit, and how it starts the system.</summary>
public sealed record DemoRun(string DatabasePath, string TargetDirectory, TimeSpan Timeout)
{
    /// <summary>The embedded system on the in-memory bus and the demo's SQLite file, plus the source's settings.</summary>
    public async Task<EmbeddedSystem> StartSystemAsync(IReadOnlyDictionary<string, string?> sourceSettings, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>(sourceSettings)
        {
            ["Bus:Transport"] = "InMemory",
            ["Vma:Target:Directory"] = TargetDirectory,
        };
        foreach (var (key, value) in CliSettings.Database(DatabasePath))
        {
            settings[key] = value;
        }

        try
        {
            return await EmbeddedSystem.StartAsync(settings, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException or ArgumentException)
        {
            throw new CliException($"the system did not start: {ex.Message}");
        }
    }
}
