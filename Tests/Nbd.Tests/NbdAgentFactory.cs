using System.Globalization;
using System.Text;
using System.Text.Json;
using Migration.Tests.Support;

namespace Migration.Tests.Nbd;

/// <summary>The real agent (simulated source, 8 MiB disks) whose jobs write to NBD exports the tests start.</summary>
public sealed class NbdAgentFactory : SimulatedAgentFactory
{
    public const long DiskSize = 8 << 20;

    public NbdAgentFactory()
        : this(NbdServer.NewDirectory())
    {
    }

    private NbdAgentFactory(string dataDirectory)
        : base(Path.Combine(dataDirectory, "targets")) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Vma:Simulated:VmCount"] = "9",
        ["Vma:Simulated:DiskSize"] = DiskSize.ToString(CultureInfo.InvariantCulture),
        ["Vma:Simulated:BlockSize"] = "64KiB",
        ["Vma:Simulated:ExtentSize"] = "512KiB",
        ["Vma:Jobs:ChunkSize"] = "256KiB",
        ["Vma:Jobs:RequestsInFlight"] = "8",
        ["Vma:Jobs:ThroughputCapPerJob"] = "0",
        ["Vma:Jobs:MaxConcurrentJobs"] = "8",
        ["Vma:Nbd:ReconnectDelay"] = "00:00:00.200",
        ["Vma:Nbd:RequestTimeout"] = "00:00:10",
    };

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
}
