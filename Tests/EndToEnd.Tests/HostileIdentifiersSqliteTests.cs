using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Tests.Support;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// The hostile identifiers of <see cref="HostileNames"/> on the embedded defaults (in-memory bus, SQLite): rows, the
/// OMA read API, the VMA's progress document and the CLI give them back as the PostgreSQL run does
/// (<c>Cluster.Tests/HostileIdentifiersTests</c> also checks every host's log lines there).
/// </summary>
public sealed class HostileIdentifiersSqliteTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hostile-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // a file still mapped by a stopping process: the OS temp cleaner takes it
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Hostile_ids_vm_names_and_disk_labels_round_trip_on_sqlite()
    {
        var database = Path.Combine(_root, "hostile.db");
        var settings = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = $"Data Source={database}",
            ["Vma:Simulated:DiskSize"] = "1MiB",
            ["Vma:Simulated:BlockSize"] = "4KiB",
            ["Vma:Simulated:ExtentSize"] = "64KiB",
            ["Vma:Jobs:StageDelay"] = "00:00:00.050",
            ["Vma:Jobs:MaxConcurrentJobs"] = "8",
            ["Vma:Jobs:ThroughputCapPerJob"] = "4MiB",
            ["Vma:Target:Directory"] = Path.Combine(_root, "targets"),
            ["Tracking:PollInterval"] = "00:00:00.200",
            ["Tracking:WriteMinInterval"] = "00:00:00.200",
            ["Tracking:ContactTimeout"] = "00:00:30",
        };
        foreach (var (key, value) in HostileNames.SimulatedSourceSettings())
        {
            settings[key] = value;
        }

        var jobs = HostileIdentifierChecks.Jobs();
        var problems = new List<string>();
        await using (var system = await EmbeddedSystem.StartAsync(settings))
        {
            foreach (var (jobId, vmName, _) in jobs)
            {
                await system.StartReplicationAsync(jobId, vmName, SyncType.Full);
            }

            var rows = await system.WaitForJobsAsync([.. jobs.Select(j => j.JobId)], TimeSpan.FromMinutes(3));
            Assert.Equal(jobs.Count, rows.Count);
            foreach (var (jobId, vmName, labels) in jobs)
            {
                var row = rows.Single(r => r.Id == jobId);
                Assert.True(row.Status == StatusMapping.Completed, $"{jobId}: {row.Status} {row.ErrorMessage}");
                Assert.Equal(vmName, row.VmName);
                var disks = await system.Queries.GetDisksAsync(jobId, default);
                Assert.Equal(labels, disks.OrderBy(d => d.DiskId, StringComparer.Ordinal).Select(d => d.Label));
                Assert.Equal(labels.Count, (await system.Queries.GetCbtHistoryAsync(jobId, default)).Count(h => h.SyncSuccess));
                var log = await system.Queries.GetJobLogAsync(jobId, default);
                Assert.NotEmpty(log);
                Assert.All(log, l => Assert.Empty(HostileNames.RawControls(l.Message, allowNewlines: false)));
            }

            Assert.Empty(Cli.Commands.TargetCheck.Compare(system.Inventory, Path.Combine(_root, "targets"), HostileNames.VmNames));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            problems.AddRange(await HostileIdentifierChecks.CheckOmaApiAsync(http, system.VmaUrl));
            problems.AddRange(await HostileIdentifierChecks.CheckProgressDocumentsAsync(http, system.VmaUrl));
        }

        problems.AddRange(await HostileIdentifierChecks.CheckCliAsync(
            Path.Combine(AppContext.BaseDirectory, "migration.dll"), new Dictionary<string, string>(), ["--db", database]));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
