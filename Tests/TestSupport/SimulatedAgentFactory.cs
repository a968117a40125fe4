using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Migration.VmaAgent.Sources;

namespace Migration.Tests.Support;

/// <summary>
/// The real VMA agent in-process on the simulated source, with no stage delay, quiet logs and its images under a
/// directory of its own (<see cref="TargetDirectory"/>, removed with the factory). Subclasses give the sizes and pace.
/// </summary>
public abstract class SimulatedAgentFactory(string targetDirectory) : WebApplicationFactory<global::Migration.VmaAgent.Program>
{
    public string TargetDirectory { get; } = targetDirectory;

    public SimulatedInventory Inventory => Services.GetRequiredService<SimulatedInventory>();

    /// <summary><c>Vma:…</c> settings of this factory (the source's sizes, the jobs' pace).</summary>
    protected abstract IReadOnlyDictionary<string, string> Settings { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Vma:Jobs:StageDelay", "00:00:00");
        builder.UseSetting("Vma:Target:Directory", TargetDirectory);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(TargetDirectory))
        {
            Directory.Delete(TargetDirectory, recursive: true);
        }
    }
}
