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

namespace Migration.Tests.Nbd;

/// <summary>The real agent (simulated source, 8 MiB disks) whose jobs write to NBD exports the tests start.</summary>
public sealed class NbdAgentFactory : WebApplicationFactory<global::Migration.VmaAgent.Program>
{
    public const long DiskSize = 8 << 20;

    public string DataDirectory { get; } = NbdServer.NewDirectory();

    public SimulatedInventory Inventory => Services.GetRequiredService<SimulatedInventory>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Vma:Simulated:VmCount", "9");
        builder.UseSetting("Vma:Simulated:DiskSize", DiskSize.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Vma:Simulated:BlockSize", "64KiB");
        builder.UseSetting("Vma:Simulated:ExtentSize", "512KiB");
        builder.UseSetting("Vma:Jobs:ChunkSize", "256KiB");
        builder.UseSetting("Vma:Jobs:RequestsInFlight", "8");
        builder.UseSetting("Vma:Jobs:StageDelay", "00:00:00");
        builder.UseSetting("Vma:Jobs:ThroughputCapPerJob", "0");
        builder.UseSetting("Vma:Jobs:MaxConcurrentJobs", "8");
        builder.UseSetting("Vma:Nbd:ReconnectDelay", "00:00:00.200");
        builder.UseSetting("Vma:Nbd:RequestTimeout", "00:00:10");
        builder.UseSetting("Vma:Target:Directory", Path.Combine(DataDirectory, "targets"));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    /// <summary>The source disk's bytes as a file, for cmp.</summary>
    public string SourceImage(string vm, string diskId)
    {
        var path = Path.Combine(DataDirectory, $"{vm}-{diskId}-{Guid.NewGuid():N}.src");
        File.WriteAllBytes(path, Inventory.ReadDisk(vm, diskId));
        return path;
    }
}

public static class NbdAgentClient
{
    public static async Task StartAsync(this HttpClient client, string jobId, string vm, IReadOnlyDictionary<string, Uri> targets,
        IReadOnlyDictionary<string, string>? previousChangeIds = null, long? bandwidth = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["job_id"] = jobId,
            ["vm"] = new Dictionary<string, string> { ["name"] = vm },
            ["target"] = new Dictionary<string, object>
            {
                ["disks"] = targets.ToDictionary(t => t.Key, t => new Dictionary<string, string> { ["uri"] = t.Value.ToString() }),
            },
        };
        if (previousChangeIds is not null)
        {
            body["previous_change_ids"] = previousChangeIds;
        }

        if (bandwidth is not null)
        {
            body["bandwidth_limit_bps"] = bandwidth;
        }

        var response = await client.PostAsync("/api/v1/replications", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<ReplicationProgress> ProgressAsync(this HttpClient client, string jobId) =>
        (await client.GetFromJsonAsync($"/api/v1/progress/{jobId}", ProgressJsonContext.Default.ReplicationProgress))!;

    public static async Task<ReplicationProgress> WaitAsync(this HttpClient client, string jobId, Func<ReplicationProgress, bool> condition,
        TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var progress = await client.ProgressAsync(jobId);
            if (condition(progress))
            {
                return progress;
            }

            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"job {jobId} stayed {progress.Status} in {progress.Stage}: {progress.Error}");
            }

            await Task.Delay(20);
        }
    }

    public static Task<ReplicationProgress> WaitFinishedAsync(this HttpClient client, string jobId, TimeSpan? timeout = null) =>
        client.WaitAsync(jobId, p => StatusMapping.IsTerminal(p.Status), timeout);
}
