using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.VmaAgent.Sources;

namespace Migration.Tests.VmaAgent;

/// <summary>
/// The real agent on tiny disks (1 MiB, 4 KiB blocks) with images in a temp directory of its own. Subclasses pick
/// the pace: no cap for flow tests, a cap for tests that must catch a job while it runs.
/// </summary>
public abstract class AgentFactory : WebApplicationFactory<global::Migration.VmaAgent.Program>
{
    protected AgentFactory()
    {
        TargetDirectory = Path.Combine(Path.GetTempPath(), "vma-tests-" + Guid.NewGuid().ToString("N"));
    }

    public string TargetDirectory { get; }

    protected virtual long ThroughputCap => 0;

    protected virtual int MaxConcurrentJobs => 8;

    public SimulatedInventory Inventory => Services.GetRequiredService<SimulatedInventory>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Vma:Simulated:VmCount", "12");
        builder.UseSetting("Vma:Simulated:DiskSize", "1MiB");
        builder.UseSetting("Vma:Simulated:BlockSize", "4KiB");
        builder.UseSetting("Vma:Simulated:ExtentSize", "64KiB");
        builder.UseSetting("Vma:Jobs:ChunkSize", "16KiB");
        builder.UseSetting("Vma:Jobs:StageDelay", "00:00:00");
        builder.UseSetting("Vma:Jobs:ThroughputCapPerJob", ThroughputCap.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Vma:Jobs:MaxConcurrentJobs", MaxConcurrentJobs.ToString(CultureInfo.InvariantCulture));
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

public sealed class FastAgentFactory : AgentFactory;

/// <summary>128 KiB/s per job: a 1-disk VM's full sync (about 0.5 MiB) takes a few seconds.</summary>
public sealed class SlowAgentFactory : AgentFactory
{
    protected override long ThroughputCap => 128 * 1024;

    protected override int MaxConcurrentJobs => 2;
}

public static class AgentClient
{
    public static Task<HttpResponseMessage> StartAsync(this HttpClient client, string json) =>
        client.PostAsync("/api/v1/replications", new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> StartAsync(this HttpClient client, string jobId, string vmName,
        IReadOnlyDictionary<string, string>? previousChangeIds = null, string syncType = "auto")
    {
        var body = new Dictionary<string, object?>
        {
            ["job_id"] = jobId,
            ["vm"] = new Dictionary<string, string> { ["name"] = vmName },
            ["sync_type"] = syncType,
        };
        if (previousChangeIds is not null)
        {
            body["previous_change_ids"] = previousChangeIds;
        }

        return client.StartAsync(JsonSerializer.Serialize(body));
    }

    public static async Task<ReplicationProgress> ProgressAsync(this HttpClient client, string jobId)
    {
        var response = await client.GetAsync($"/api/v1/progress/{jobId}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ProgressJsonContext.Default.ReplicationProgress))!;
    }

    public static async Task<ReplicationProgress> WaitAsync(this HttpClient client, string jobId, Func<ReplicationProgress, bool> condition,
        TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var progress = await client.ProgressAsync(jobId);
            if (condition(progress))
            {
                return progress;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} stayed {progress.Status} in {progress.Stage}: {progress.Error}");
            }

            await Task.Delay(20);
        }
    }

    public static Task<ReplicationProgress> WaitFinishedAsync(this HttpClient client, string jobId) =>
        client.WaitAsync(jobId, p => StatusMapping.IsTerminal(p.Status));

    public static Dictionary<string, string> ChangeIds(this ReplicationProgress progress) =>
        progress.Disks.ToDictionary(d => d.Id, d => d.ChangeId!);
}
