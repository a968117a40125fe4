using System.Globalization;
using System.Text;
using System.Text.Json;
using Migration.Contracts.Progress;
using Migration.Tests.Support;

namespace Migration.Tests.VmaAgent;

/// <summary>
/// The real agent on tiny disks (1 MiB, 4 KiB blocks) with images in a temp directory of its own. Subclasses pick
/// the pace: no cap for flow tests, a cap for tests that must catch a job while it runs.
/// </summary>
public abstract class AgentFactory() : SimulatedAgentFactory(Path.Combine(Path.GetTempPath(), "vma-tests-" + Guid.NewGuid().ToString("N")))
{
    protected virtual long ThroughputCap => 0;

    protected virtual int MaxConcurrentJobs => 8;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Vma:Simulated:VmCount"] = "12",
        ["Vma:Simulated:DiskSize"] = "1MiB",
        ["Vma:Simulated:BlockSize"] = "4KiB",
        ["Vma:Simulated:ExtentSize"] = "64KiB",
        ["Vma:Jobs:ChunkSize"] = "16KiB",
        ["Vma:Jobs:ThroughputCapPerJob"] = ThroughputCap.ToString(CultureInfo.InvariantCulture),
        ["Vma:Jobs:MaxConcurrentJobs"] = MaxConcurrentJobs.ToString(CultureInfo.InvariantCulture),
    };
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

    public static Dictionary<string, string> ChangeIds(this ReplicationProgress progress) =>
        progress.Disks.ToDictionary(d => d.Id, d => d.ChangeId!);
}
