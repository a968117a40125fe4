using System.Net.Http.Json;
using System.Security.Cryptography;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Migration.Cli.Embedded;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Oma.Persistence;
using Migration.Tests.Support;

namespace Migration.Tests.VSphere;

/// <summary>
/// One test's world: a real vCenter simulator process and the whole system in one process (VMA on the VSphere
/// source, OMA saga, scheduler, in-memory bus, SQLite), every interval compressed.
/// </summary>
public sealed class VSphereHarness : IAsyncDisposable
{
    private VSphereHarness(string root, VcSim sim, EmbeddedSystem system)
    {
        Root = root;
        Sim = sim;
        System = system;
    }

    public string Root { get; }

    /// <summary>Every log line the system wrote (with its exception), to prove what never appears in them.</summary>
    public LogLines Logs { get; private init; } = new();

    public VcSim Sim { get; }

    public EmbeddedSystem System { get; }

    public IJobQueries Queries => System.Queries;

    public string TargetDirectory => Path.Combine(Root, "targets");

    public static async Task<VSphereHarness> StartAsync(Dictionary<string, string?>? extra = null, string[]? simArguments = null, VcSim? sim = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "vsphere-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        sim ??= await VcSim.StartAsync(simArguments ?? []);
        var settings = Settings(root, sim);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var lines = new LogLines();
        var system = await EmbeddedSystem.StartAsync(settings, logging: b =>
        {
            b.AddProvider(lines).SetMinimumLevel(LogLevel.Debug);
            if (Environment.GetEnvironmentVariable("MIGRATION_TEST_LOG") == "1")
            {
                b.AddSimpleConsole(o => o.SingleLine = true);
            }
        });
        return new VSphereHarness(root, sim, system) { Logs = lines };
    }

    public static Dictionary<string, string?> Settings(string root, VcSim sim)
    {
        var settings = sim.VmaSettings();
        settings["Vma:Jobs:StageDelay"] = "00:00:00";
        settings["Vma:Jobs:ThroughputCapPerJob"] = "0";
        settings["Vma:Jobs:ChunkSize"] = "256KiB";
        settings["Vma:Target:Directory"] = Path.Combine(root, "targets");
        settings["Database:Provider"] = "Sqlite";
        settings["Database:ConnectionString"] = $"Data Source={Path.Combine(root, "vsphere.db")}";
        settings["Tracking:PollInterval"] = "00:00:00.200";
        settings["Tracking:WriteMinInterval"] = "00:00:00.200";
        settings["Tracking:MaxPollInterval"] = "00:00:01";
        settings["Tracking:PollStaleAfter"] = "00:00:01";
        settings["Tracking:ContactTimeout"] = "00:00:30";
        settings["VmaClient:MaxRetryAttempts"] = "0";
        return settings;
    }

    public async Task StartAsync(string jobId, VmReference vm, SyncType syncType = SyncType.Auto) =>
        await System.Services.GetRequiredService<IBus>().Publish(new StartReplication
        {
            JobId = jobId,
            VmaUrl = System.VmaUrl.ToString(),
            Vm = vm,
            SyncType = syncType,
        });

    /// <summary>Runs one job to its end (completed or failed) and returns its row.</summary>
    public async Task<JobView> RunAsync(string jobId, string vmName, SyncType syncType = SyncType.Auto, TimeSpan? timeout = null)
    {
        await StartAsync(jobId, new VmReference { Name = vmName }, syncType);
        return await FinishedAsync(jobId, timeout);
    }

    public async Task<JobView> FinishedAsync(string jobId, TimeSpan? timeout = null)
    {
        var jobs = await System.WaitForJobsAsync([jobId], timeout ?? TimeSpan.FromSeconds(90));
        var job = Assert.Single(jobs);
        Assert.True(StatusMapping.IsTerminal(job.Status), $"job {jobId} did not finish: {job.Status} {job.CurrentOperation}; simulator: {Sim.StandardError()}");
        return job;
    }

    /// <summary>The VMA's own progress document of a job.</summary>
    public async Task<ReplicationProgress> ProgressAsync(string jobId)
    {
        using var http = new HttpClient { BaseAddress = System.VmaUrl };
        return (await http.GetFromJsonAsync($"api/v1/progress/{jobId}", ProgressJsonContext.Default.ReplicationProgress))!;
    }

    public string TargetSha256(string vm, string diskId)
    {
        using var file = File.OpenRead(Path.Combine(TargetDirectory, vm, diskId + ".img"));
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>Every target image of the VM equals its source disk, byte for byte (as SHA-256 of the whole disk).</summary>
    public async Task AssertTargetsEqualSourceAsync(string vm)
    {
        foreach (var disk in (await Sim.VmAsync(vm)).Disks)
        {
            Assert.Equal(await Sim.Sha256Async(vm, disk.Key), TargetSha256(vm, disk.Id));
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the VMA's document (or fails after the timeout).</summary>
    public async Task<ReplicationProgress> WaitForProgressAsync(string jobId, Func<ReplicationProgress, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var progress = await ProgressAsync(jobId);
                if (condition(progress))
                {
                    return progress;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"job {jobId}: condition not met within {timeout}; last {progress.Status} {progress.Stage} {progress.Aggregate.BytesTransferred}/{progress.Aggregate.TotalBytes}");
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // not accepted by the VMA yet
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await System.DisposeAsync();
        await Sim.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // the SQLite file of a stopping host; the OS temp cleaner takes it
        }
    }
}

/// <summary>Keeps every formatted log line and exception text of a host.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> All => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
