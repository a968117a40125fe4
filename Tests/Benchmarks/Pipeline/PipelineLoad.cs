using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Oma.Bus;
using Migration.Tests.Support;
using Npgsql;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// The whole system under N concurrent simulated jobs, long enough to reach steady state, then measured over a window:
/// polls/s against the ideal N/2, latency from the VMA's answer to the committed job row, database writes with and
/// without the throttle, memory per 100 jobs of each process, CPU of each process, and the raw broker ceiling.
/// </summary>
public static class PipelineLoad
{
    public static async Task<int> RunAsync(string[] arguments)
    {
        var args = new BenchmarkArgs(arguments);
        var settings = new PipelineSettings
        {
            Jobs = args.Int("jobs", 0) is > 0 and var jobs ? jobs : throw new BenchmarkSetupException("--jobs N (N > 0) is required"),
            WindowSeconds = args.Int("seconds", 60),
            WarmupSeconds = args.Int("warmup", 15),
            CeilingSeconds = args.Int("ceiling-seconds", 10),
            Transport = Enum.Parse<BusTransport>(args.Option("transport") ?? "RabbitMq", ignoreCase: true),
            NoThrottle = args.Flag("no-throttle"),
            PollBatch = args.PollBatch(),
            WaveOnly = args.Flag("wave"),
            Repository = args.Option("repo") ?? FindRepository(),
            HostsDirectory = args.Option("hosts") is { } hosts ? Path.GetFullPath(hosts) : null,
        };

        var run = settings.Transport == BusTransport.RabbitMq ? new RabbitRun(settings) { Keep = args.Flag("keep") } : (PipelineRun)new InMemoryRun(settings) { Keep = args.Flag("keep") };
        string report;
        try
        {
            report = await run.ExecuteAsync();
        }
        finally
        {
            await run.DisposeAsync();
        }

        Console.WriteLine(report);
        if (args.Option("out") is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, report + Environment.NewLine);
        }

        return 0;
    }

    internal static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Migration.sln")))
            {
                return dir.FullName;
            }
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Migration.sln")))
            {
                return dir.FullName;
            }
        }

        throw new BenchmarkSetupException("cannot find Migration.sln above the benchmark or the working directory; pass --repo PATH");
    }
}

public sealed class PipelineSettings
{
    public int Jobs { get; init; }

    public int WindowSeconds { get; init; }

    public int WarmupSeconds { get; init; }

    public int CeilingSeconds { get; init; }

    public BusTransport Transport { get; init; }

    public bool NoThrottle { get; init; }

    /// <summary>--poll-batch N: Tracking:PollBatchSize of the scheduler (1: one poll per job, the default).</summary>
    public int PollBatch { get; init; } = 1;

    /// <summary>--wave: measure the start-up wave only (every job streaming after N starts at once) and stop.</summary>
    public bool WaveOnly { get; init; }

    public string Repository { get; init; } = "";

    public const string DiskSize = "4MiB";
    public const string BlockSize = "4KiB";
    public const string ExtentSize = "64KiB";
    public const string Cap = "1KiB";
    public const string StageDelay = "00:00:00.050";

    /// <summary>--hosts DIR: run each host from DIR/&lt;Host&gt;/&lt;Host&gt;.dll (as `dotnet publish -o DIR/&lt;Host&gt;` leaves it) instead of the Release build.</summary>
    public string? HostsDirectory { get; init; }

    public string HostDll(string host) => HostsDirectory is { } published
        ? Path.Combine(published, host, host + ".dll")
        : Path.Combine(Repository, host, "bin", "Release", "net10.0", host + ".dll");

    public string HostsText => HostsDirectory is { } published ? $"published in {published}" : "from the Release build";

    /// <summary>
    /// The VMA: one VM per job (one job at a time per VM), every job running at once, tiny disks moved at 1 KiB/s so each
    /// job lasts far longer than the run (about 2 MiB planned per disk: 30+ minutes), and short stage pauses.
    /// </summary>
    public Dictionary<string, string> VmaEnvironment(string targetDirectory) => new()
    {
        ["Vma__Simulated__VmCount"] = Jobs.ToString(CultureInfo.InvariantCulture),
        ["Vma__Simulated__DiskSize"] = DiskSize,
        ["Vma__Simulated__BlockSize"] = BlockSize,
        ["Vma__Simulated__ExtentSize"] = ExtentSize,
        ["Vma__Jobs__MaxConcurrentJobs"] = Jobs.ToString(CultureInfo.InvariantCulture),
        ["Vma__Jobs__ThroughputCapPerJob"] = Cap,
        ["Vma__Jobs__StageDelay"] = StageDelay,
        ["Vma__Target__Directory"] = targetDirectory,
    };

    /// <summary>The throttle as configured: the seed's (1 point / 2 s) or, with --no-throttle, write every observation.</summary>
    public Dictionary<string, string> TrackingEnvironment()
    {
        var tracking = NoThrottle
            ? new Dictionary<string, string> { ["Tracking__WriteMinProgressDelta"] = "0", ["Tracking__WriteMinInterval"] = "00:00:00" }
            : [];
        tracking["Tracking__PollBatchSize"] = PollBatch.ToString(CultureInfo.InvariantCulture);
        return tracking;
    }

    public string TrackingText => $"PollInterval 2 s; PollBatchSize {PollBatch}{(PollBatch > 1 ? " (batched polls: one POST /api/v1/progress/batch per VMA and spread slot)" : " (one GET per job)")}; throttle {ThrottleText}";

    public string ThrottleText => NoThrottle
        ? "OFF (Tracking__WriteMinProgressDelta=0, Tracking__WriteMinInterval=00:00:00: every observation written)"
        : "seed default (write on >= 1 point, >= 2 s since last write, stage or status change)";
}

/// <summary>What one run keeps while it goes, and the shared measuring steps of both transports.</summary>
public abstract class PipelineRun(PipelineSettings settings) : IAsyncDisposable
{
    protected PipelineSettings Settings { get; } = settings;

    protected string RunDirectory { get; } = Path.Combine(Path.GetTempPath(), $"pipeline-bench-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..48]);

    protected List<ChildProcess> Children { get; } = [];

    protected HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected bool Failed { get; set; } = true;

    /// <summary>--keep: leave the run directory (logs, last metric scrapes) in place.</summary>
    public bool Keep { get; init; }

    public abstract Task<string> ExecuteAsync();

    protected static void Progress(string message) =>
        Console.Error.WriteLine($"[pipeline {DateTime.UtcNow:HH:mm:ss}] {message}");

    protected async Task<Dictionary<ChildProcess, (long Rss, long Anon)>> MemoryAsync(IEnumerable<ChildProcess> processes, int samples)
    {
        var sums = processes.ToDictionary(p => p, _ => (Rss: 0L, Anon: 0L));
        for (var i = 0; i < samples; i++)
        {
            foreach (var process in sums.Keys.ToList())
            {
                var (rss, anon) = ProcStats.Memory(process.Pid);
                sums[process] = (sums[process].Rss + rss, sums[process].Anon + anon);
            }

            await Task.Delay(1000);
        }

        return sums.ToDictionary(e => e.Key, e => (e.Value.Rss / samples, e.Value.Anon / samples));
    }

    protected async Task WaitForStreamingAsync(Func<Task<Dictionary<string, long>>> statusCounts)
    {
        var timeout = TimeSpan.FromSeconds(90 + (Settings.Jobs * 0.05));
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        while (true)
        {
            var counts = await statusCounts();
            Wave?.Record(counts);
            var streaming = counts.GetValueOrDefault(StatusMapping.Streaming);
            if (clock.Elapsed - last > TimeSpan.FromSeconds(5) || streaming >= Settings.Jobs)
            {
                var extra = StatusExtra is null ? "" : "; " + await StatusExtra();
                Progress($"jobs by status: {string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"))}{extra}");
                last = clock.Elapsed;
            }

            if (streaming >= Settings.Jobs)
            {
                StreamingAfter = clock.Elapsed;
                StreamingAtWindow = streaming;
                return;
            }

            if (counts.GetValueOrDefault(StatusMapping.Failed) > 0 || counts.GetValueOrDefault(StatusMapping.Completed) > 0)
            {
                throw new BenchmarkSetupException($"jobs ended before the measurement: {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))}; logs in {RunDirectory}");
            }

            if (clock.Elapsed > timeout)
            {
                // The VMA runs every job; the rows lag because the saga cannot keep up. Measure that state as it is.
                StreamingAfter = clock.Elapsed;
                StreamingAtWindow = streaming;
                Progress($"only {streaming} of {Settings.Jobs} job rows say streaming after {timeout}: measuring anyway");
                return;
            }

            await Task.Delay(Wave is null ? 1000 : 250);
        }
    }

    /// <summary>What the transport adds to each status line while the wave runs (queue depths).</summary>
    protected Func<Task<string>>? StatusExtra { get; set; }

    /// <summary>The start-up wave's timeline, when the run keeps one (the wave line of every report, and --wave).</summary>
    protected WaveTimeline? Wave { get; set; }

    /// <summary>The report of a --wave run: the wave's figures and the machine's load, nothing else measured.</summary>
    protected string WaveReport(string what, string? stages = null) => string.Join(Environment.NewLine,
        new[]
        {
            $"Start-up wave: {Settings.Jobs} StartReplication at once on {what} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)",
            $"hosts: each `dotnet <Host>.dll` {Settings.HostsText}",
            $"machine: {Environment.ProcessorCount} cores; load average {ProcStats.LoadAverage()} at the end",
            Wave!.Line,
            stages,
            Wave.ScriptLine,
        }.OfType<string>());

    protected TimeSpan StreamingAfter { get; private set; }

    protected long StreamingAtWindow { get; private set; }

    protected string StreamingText => StreamingAtWindow >= Settings.Jobs
        ? $"all {Settings.Jobs} job rows streaming {F(StreamingAfter.TotalSeconds, "0")} s after the starts"
        : $"only {StreamingAtWindow} of {Settings.Jobs} job rows streaming {F(StreamingAfter.TotalSeconds, "0")} s after the starts (saga backlog; the VMA runs all {Settings.Jobs})";

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var child in Children)
        {
            await child.DisposeAsync();
        }

        Http.Dispose();
        var targets = Path.Combine(RunDirectory, "targets");
        if (Directory.Exists(targets))
        {
            Directory.Delete(targets, recursive: true);
        }

        if (!Failed && !Keep && Directory.Exists(RunDirectory))
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        else if (Directory.Exists(RunDirectory))
        {
            Progress($"logs kept in {RunDirectory}");
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Counters read at the start and at the end of the window.</summary>
    protected sealed class Snapshot
    {
        public required DateTimeOffset At { get; init; }

        public required Stopwatch Clock { get; init; }

        public required Dictionary<string, PrometheusText> Metrics { get; init; }

        public required Dictionary<string, double> CpuSeconds { get; init; }

        public required (long Busy, long Total) MachineCpu { get; init; }

        public required string LoadAverage { get; init; }

        public Dictionary<string, long> Database { get; init; } = [];
    }

    protected async Task<Snapshot> SnapshotAsync(Dictionary<string, Uri> metricEndpoints, Dictionary<string, Func<double>> cpu, Func<Task<Dictionary<string, long>>>? database)
    {
        var metrics = new Dictionary<string, PrometheusText>();
        foreach (var (name, url) in metricEndpoints)
        {
            var text = await Http.GetStringAsync(new Uri(url, "/metrics"));
            await File.WriteAllTextAsync(Path.Combine(RunDirectory, $"metrics-{name}-{DateTime.UtcNow:HHmmss}.txt"), text);
            metrics[name] = new PrometheusText(text);
        }

        return new Snapshot
        {
            At = DateTimeOffset.UtcNow,
            Clock = Stopwatch.StartNew(),
            Metrics = metrics,
            CpuSeconds = cpu.ToDictionary(c => c.Key, c => c.Value()),
            MachineCpu = ProcStats.MachineCpu(),
            LoadAverage = ProcStats.LoadAverage(),
            Database = database is null ? [] : await database(),
        };
    }

    /// <summary>The window's figures, for the table.</summary>
    protected sealed class Window(Snapshot start, Snapshot end, double seconds)
    {
        public double Seconds { get; } = seconds;

        public Snapshot Start { get; } = start;

        public Snapshot End { get; } = end;

        public double Rate(string process, string metric, params string[] labels) =>
            (End.Metrics[process].Sum(metric, labels) - Start.Metrics[process].Sum(metric, labels)) / Seconds;

        public double Delta(string process, string metric, params string[] labels) =>
            End.Metrics[process].Sum(metric, labels) - Start.Metrics[process].Sum(metric, labels);

        public double CpuPercent(string name) => (End.CpuSeconds[name] - Start.CpuSeconds[name]) / Seconds * 100;

        public double MachineBusyPercent =>
            (double)(End.MachineCpu.Busy - Start.MachineCpu.Busy) / (End.MachineCpu.Total - Start.MachineCpu.Total) * 100;

        public double DatabaseRate(string key) => (End.Database.GetValueOrDefault(key) - Start.Database.GetValueOrDefault(key)) / Seconds;
    }

    protected const int ReplicationStateDefinitionSteps = Migration.OmaWorkers.Saga.ReplicationStateDefinition.ConcurrentSagaSteps;

    protected const string ProgressRoute = "http_route=\"/api/v1/progress/{jobId}\"";

    protected const string BatchRoute = "http_route=\"/api/v1/progress/batch\"";

    /// <summary>The metric names of the product's hosts (OpenTelemetry Prometheus exporter).</summary>
    protected static class Names
    {
        public const string ServerDurationCount = "http_server_request_duration_seconds_count";
        public const string ProgressDocuments = "vma_progress_documents_total";
        public const string ServerDurationSum = "http_server_request_duration_seconds_sum";
        public const string ClientDurationCount = "http_client_request_duration_seconds_count";
        public const string ClientDurationSum = "http_client_request_duration_seconds_sum";
        public const string JobInserts = "migration_persistence_job_inserts_total";
        public const string JobUpdates = "migration_persistence_job_updates_total";
        public const string SkippedUpdates = "migration_persistence_skipped_updates_total";
        public const string Conflicts = "migration_persistence_concurrency_conflicts_total";
        public const string DiskUpserts = "migration_persistence_disk_upserts_total";
        public const string JobLogAppends = "migration_persistence_job_log_appends_total";
        public const string Consume = "messaging_masstransit_consume_ea_total";
        public const string Saga = "messaging_masstransit_saga_ea_total";
        public const string Receive = "messaging_masstransit_receive_ea_total";
        public const string Send = "messaging_masstransit_send_ea_total";
    }

    protected static string MessageType(string type) => $"messaging_masstransit_message_type=\"{type}\"";

    /// <summary>p50 / p99 / max of latencies in milliseconds.</summary>
    protected static string Percentiles(List<double> values)
    {
        if (values.Count == 0)
        {
            return "no samples";
        }

        var sorted = values.Order().ToArray();
        double P(double p) => Percentile.Of(sorted, p);
        return string.Create(CultureInfo.InvariantCulture, $"p50 {P(50):0.0} ms, p99 {P(99):0.0} ms, max {sorted[^1]:0.0} ms (n = {sorted.Length})");
    }

    protected static string Mb(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024 / 1024:0.0}");

    protected static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    protected static string Row(string name, string value, string note = "") =>
        note.Length == 0 ? $"{name,-44} {value}" : $"{name,-44} {value,-28} {note}";

    protected string MemoryTable(
        Dictionary<ChildProcess, (long Rss, long Anon)> baseline, Dictionary<ChildProcess, (long Rss, long Anon)> steady)
    {
        var per = Settings.Jobs / 100.0;
        var lines = new List<string>
        {
            $"{"process",-22} {"idle RSS MB",12} {"steady RSS MB",14} {"delta MB",9} {"MB/100 jobs",12}   {"anon delta MB",14} {"anon MB/100 jobs",17}",
        };
        foreach (var (process, idle) in baseline)
        {
            var now = steady[process];
            lines.Add($"{process.Name,-22} {Mb(idle.Rss),12} {Mb(now.Rss),14} {Mb(now.Rss - idle.Rss),9} {Mb((now.Rss - idle.Rss) / per),12}   {Mb(now.Anon - idle.Anon),14} {Mb((now.Anon - idle.Anon) / per),17}");
        }

        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>VMA, one OMA worker and one Scheduler as separate processes on RabbitMQ and PostgreSQL.</summary>
public sealed class RabbitRun(PipelineSettings settings) : PipelineRun(settings)
{
    private readonly string runId = $"bench_{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..6]}";
    private RabbitServer? rabbit;
    private long? sagaDepthAtStart;
    private long? sagaDepthAtEnd;
    private long? pollDepthAtEnd;
    private TimeSpan drainedAfter;
    private string? adminConnectionString;
    private bool vhostCreated;
    private bool databaseCreated;

    private string DatabaseConnectionString =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = runId }.ConnectionString;

    public override async Task<string> ExecuteAsync()
    {
        rabbit = RabbitServer.FromEnvironment();
        adminConnectionString = RabbitServer.Required("MIGRATION_TEST_POSTGRES");
        Directory.CreateDirectory(RunDirectory);
        Progress($"run {runId}: {Settings.Jobs} jobs on RabbitMQ {rabbit.Host}:{rabbit.Port} + PostgreSQL, logs in {RunDirectory}");

        await rabbit.CreateVirtualHostAsync(runId);
        vhostCreated = true;
        bool commitTimestamps;
        int postmasterPid;
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{runId}\"", admin))
            {
                await create.ExecuteNonQueryAsync();
            }

            databaseCreated = true;
            await using var show = new NpgsqlCommand("SELECT current_setting('track_commit_timestamp') = 'on', pg_backend_pid()", admin);
            await using var reader = await show.ExecuteReaderAsync();
            await reader.ReadAsync();
            commitTimestamps = reader.GetBoolean(0);
            postmasterPid = ProcStats.ParentOf(reader.GetInt32(1)) ?? 0;
        }

        var brokerPid = await rabbit.NodePidAsync();
        await using var sampler = new CommitSampler(DatabaseConnectionString, commitTimestamps);
        await sampler.OpenAsync();
        var common = new Dictionary<string, string>
        {
            ["Bus__Transport"] = "RabbitMq",
            ["Bus__RabbitMq__Host"] = rabbit.Host,
            ["Bus__RabbitMq__Port"] = rabbit.Port.ToString(CultureInfo.InvariantCulture),
            ["Bus__RabbitMq__VirtualHost"] = runId,
            ["Bus__RabbitMq__Username"] = rabbit.User,
            ["Bus__RabbitMq__Password"] = rabbit.Password,
            ["Database__Provider"] = "Postgres",
            ["Database__ConnectionString"] = DatabaseConnectionString,
            ["Scheduler__Quartz__Store"] = "AdoNet",
        };
        foreach (var (key, value) in Settings.TrackingEnvironment())
        {
            common[key] = value;
        }

        var vma = ChildProcess.Start("VmaAgent", Settings.HostDll("VmaAgent"), [], Settings.VmaEnvironment(Path.Combine(RunDirectory, "targets")), RunDirectory, LoopbackPorts.Next());
        Children.Add(vma);
        await vma.WaitReadyAsync(Http, TimeSpan.FromSeconds(60));
        var worker = ChildProcess.Start("OmaWorkers", Settings.HostDll("OmaWorkers"), [], common, RunDirectory, LoopbackPorts.Next());
        Children.Add(worker);
        await worker.WaitReadyAsync(Http, TimeSpan.FromSeconds(90));
        var scheduler = ChildProcess.Start("Scheduler", Settings.HostDll("Scheduler"), [], common, RunDirectory, LoopbackPorts.Next());
        Children.Add(scheduler);
        await scheduler.WaitReadyAsync(Http, TimeSpan.FromSeconds(90));
        Progress($"processes ready (VmaAgent pid {vma.Pid}, OmaWorkers pid {worker.Pid}, Scheduler pid {scheduler.Pid}); idle baseline");

        await Task.Delay(TimeSpan.FromSeconds(5));
        var baseline = await MemoryAsync(Children, 3);

        var cpu = new Dictionary<string, Func<double>>
        {
            ["VmaAgent"] = () => ProcStats.CpuSeconds(vma.Pid),
            ["OmaWorkers"] = () => ProcStats.CpuSeconds(worker.Pid),
            ["Scheduler"] = () => ProcStats.CpuSeconds(scheduler.Pid),
            ["PostgreSQL (all backends)"] = () => postmasterPid > 0 ? ProcStats.CpuSecondsWithChildren(postmasterPid) - SamplerCpu(sampler) : 0,
            ["RabbitMQ (beam.smp)"] = () => brokerPid is { } pid ? ProcStats.CpuSeconds(pid) : 0,
            ["this driver"] = () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds + SamplerCpu(sampler),
        };
        var cpuBeforeWave = cpu.ToDictionary(c => c.Key, c => c.Value());
        var machineBeforeWave = ProcStats.MachineCpu();
        var publishedFrom = DateTimeOffset.UtcNow;
        var startedAt = Stopwatch.StartNew();
        Wave = new WaveTimeline(Settings.Jobs, startedAt);
        await PublishStartsAsync(vma.Url);
        Wave.MarkPublished();
        Progress($"published {Settings.Jobs} StartReplication in {startedAt.Elapsed.TotalSeconds:0.0} s; waiting for every job to stream");
        StatusExtra = async () =>
            $"queues (management API, a few seconds old): replication-state {await rabbit.QueueDepthAsync(runId, "replication-state")}, " +
            $"scheduler {await rabbit.QueueDepthAsync(runId, "scheduler")}, start-vma-replication {await rabbit.QueueDepthAsync(runId, "start-vma-replication")}";
        await WaitForStreamingAsync(StatusCountsAsync);
        StatusExtra = null;
        if (Settings.WaveOnly)
        {
            Failed = false;
            var stages = await WaveStages.ReadAsync(DatabaseConnectionString, publishedFrom, commitTimestamps) + Environment.NewLine +
                WaveStages.CpuLine(cpu.ToDictionary(c => c.Key, c => c.Value() - cpuBeforeWave[c.Key]), machineBeforeWave, ProcStats.MachineCpu(), Settings.Jobs);
            return WaveReport("RabbitMQ + PostgreSQL (VmaAgent, OmaWorkers x1, Scheduler x1 with the clustered Quartz store)", stages);
        }

        var capture = BrokerCeiling.CaptureMessageSizeAsync(rabbit, runId, "Migration.Contracts:ProgressObserved", TimeSpan.FromSeconds(60));
        Progress($"{StreamingAtWindow} streaming after {startedAt.Elapsed.TotalSeconds:0} s; warm-up {Settings.WarmupSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(Settings.WarmupSeconds));

        // Steady state: the start-up burst (N starts, nine stages each) must have drained from the saga's queue.
        var drain = Stopwatch.StartNew();
        long? sagaDepth;
        long? firstDepth = null;
        while ((sagaDepth = await rabbit.QueueDepthAsync(runId, "replication-state")) > Math.Max(50, Settings.Jobs / 20)
               && drain.Elapsed < TimeSpan.FromSeconds(120))
        {
            firstDepth ??= sagaDepth;
            if (drain.Elapsed > TimeSpan.FromSeconds(20) && sagaDepth >= firstDepth)
            {
                Progress($"saga queue holds {sagaDepth} messages and is not draining: the saga is saturated; measuring that");
                break;
            }

            Progress($"saga queue holds {sagaDepth} messages; waiting for it to drain");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        sagaDepthAtStart = sagaDepth;
        drainedAfter = drain.Elapsed;

        var endpoints = new Dictionary<string, Uri> { ["vma"] = vma.Url, ["worker"] = worker.Url, ["scheduler"] = scheduler.Url };

        await sampler.SampleAsync(record: false);
        var start = await SnapshotAsync(endpoints, cpu, DatabaseStatsAsync);
        Progress($"measuring for {Settings.WindowSeconds} s");
        var memory = Children.ToDictionary(c => c, _ => (Rss: 0L, Anon: 0L));
        var memorySamples = 0;
        while (start.Clock.Elapsed < TimeSpan.FromSeconds(Settings.WindowSeconds))
        {
            var tick = Stopwatch.StartNew();
            foreach (var child in Children)
            {
                var (rss, anon) = ProcStats.Memory(child.Pid);
                memory[child] = (memory[child].Rss + rss, memory[child].Anon + anon);
            }

            memorySamples++;
            await SampleForAsync(sampler, TimeSpan.FromSeconds(1) - tick.Elapsed);
            var rest = TimeSpan.FromSeconds(1) - tick.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
        }

        var seconds = start.Clock.Elapsed.TotalSeconds;
        var end = await SnapshotAsync(endpoints, cpu, DatabaseStatsAsync);
        sagaDepthAtEnd = await rabbit.QueueDepthAsync(runId, "replication-state");
        pollDepthAtEnd = await rabbit.QueueDepthAsync(runId, "poll-progress");
        var steady = memory.ToDictionary(m => m.Key, m => (m.Value.Rss / memorySamples, m.Value.Anon / memorySamples));
        var countsAtEnd = await StatusCountsAsync();
        var window = new Window(start, end, seconds);

        var messageBytes = await capture;
        Progress($"stopping the processes; measuring the raw broker ceiling (a ProgressObserved is {messageBytes} bytes)");
        foreach (var child in Children)
        {
            await child.DisposeAsync();
        }

        Children.Clear();
        var ceiling = await BrokerCeiling.MeasureAsync(rabbit, runId, messageBytes ?? 1500, TimeSpan.FromSeconds(Settings.CeilingSeconds));
        Failed = false;
        return Format(window, baseline, steady, countsAtEnd, sampler, ceiling, messageBytes, commitTimestamps);
    }

    private static double SamplerCpu(CommitSampler sampler) => sampler.BackendPid > 0 ? ProcStats.CpuSeconds(sampler.BackendPid) : 0;

    /// <summary>Samples the job rows every <see cref="CommitSampler.Period"/> for about <paramref name="span"/>.</summary>
    private static async Task SampleForAsync(CommitSampler sampler, TimeSpan span)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            var tick = Stopwatch.StartNew();
            await sampler.SampleAsync(record: true);
            var rest = CommitSampler.Period - tick.Elapsed;
            if (rest > TimeSpan.Zero && clock.Elapsed + rest < span)
            {
                await Task.Delay(rest);
            }
        }
        while (clock.Elapsed + CommitSampler.Period < span);
    }

    private string Format(
        Window w,
        Dictionary<ChildProcess, (long Rss, long Anon)> baseline,
        Dictionary<ChildProcess, (long Rss, long Anon)> steady,
        Dictionary<string, long> countsAtEnd,
        CommitSampler sampler,
        BrokerCeiling.Result ceiling,
        int? messageBytes,
        bool commitTimestamps)
    {
        var n = Settings.Jobs;
        var ideal = n / 2.0;
        var polls = w.Rate("vma", Names.ProgressDocuments);
        var vmaServerMs = w.Delta("vma", Names.ServerDurationSum, ProgressRoute) / Math.Max(1, w.Delta("vma", Names.ServerDurationCount, ProgressRoute)) * 1000;
        var clientMs = w.Delta("worker", Names.ClientDurationSum) / Math.Max(1, w.Delta("worker", Names.ClientDurationCount)) * 1000;
        var pollsConsumed = w.Rate("worker", Names.Consume, MessageType("PollProgress"));
        var observed = w.Rate("worker", Names.Saga, MessageType("ProgressObserved"));
        var updates = w.Rate("worker", Names.JobUpdates);
        var skipped = w.Rate("worker", Names.SkippedUpdates);
        var disks = w.Rate("worker", Names.DiskUpserts);
        var logs = w.Rate("worker", Names.JobLogAppends);
        var conflicts = w.Delta("worker", Names.Conflicts);
        var consumed = w.Rate("worker", Names.Receive) + w.Rate("scheduler", Names.Receive);
        var published = w.Rate("worker", Names.Send) + w.Rate("scheduler", Names.Send);

        var text = new List<string>
        {
            $"Pipeline benchmark: {n} concurrent simulated jobs on RabbitMQ + PostgreSQL ({w.Start.At:yyyy-MM-dd HH:mm} UTC)",
            "processes: VmaAgent, OmaWorkers x1, Scheduler x1 (Quartz AdoNet store on PostgreSQL, clustered), each `dotnet <Host>.dll` " + Settings.HostsText,
            $"jobs: VMA with {n} simulated VMs, MaxConcurrentJobs {n}, {PipelineSettings.DiskSize} disks (1-3 per VM), BlockSize {PipelineSettings.BlockSize}, ExtentSize {PipelineSettings.ExtentSize}, cap {PipelineSettings.Cap}/s per job, StageDelay 50 ms",
            $"tracking: {Settings.TrackingText}",
            $"servers: private PostgreSQL 15 (fsync=off, synchronous_commit=off) and RabbitMQ (scripts/servers.sh), own vhost and database {runId}",
            $"machine: {Environment.ProcessorCount} cores shared with other work; load average {w.Start.LoadAverage} at window start, {w.End.LoadAverage} at end; machine CPU busy {F(w.MachineBusyPercent, "0")}% during the window",
            $"{StreamingText}; warm-up {Settings.WarmupSeconds} s; window {F(w.Seconds, "0")} s; rows at its end: {string.Join(", ", countsAtEnd.Select(c => $"{c.Value} {c.Key}"))}",
            Wave!.Line,
            "",
            Row("metric", "value", "note"),
            Row("polls/s (progress documents the VMA served)", F(polls), $"ideal N/2 = {F(ideal)}: {F(polls / ideal * 100, "0.0")}%"),
            Row("VMA progress requests/s (GET, batch POST)", $"{F(w.Rate("vma", Names.ServerDurationCount, ProgressRoute, "http_request_method=\"GET\""))} / {F(w.Rate("vma", Names.ServerDurationCount, BatchRoute))}", $"{F(polls / Math.Max(0.001, w.Rate("vma", Names.ServerDurationCount, BatchRoute) + w.Rate("vma", Names.ServerDurationCount, ProgressRoute, "http_request_method=\"GET\"")), "0.0")} documents per request"),
            Row("poll messages consumed/s (worker)", $"{F(pollsConsumed)} PollProgress, {F(w.Rate("worker", Names.Consume, MessageType("PollProgressBatch")))} PollProgressBatch", ""),
            Row("ProgressObserved consumed/s (saga)", F(observed), $"saga queue depth {sagaDepthAtStart} at window start (after {F(drainedAfter.TotalSeconds, "0")} s of draining), {sagaDepthAtEnd} at end; poll queue {pollDepthAtEnd} at end"),
            Row("VMA server time, progress route (mean)", F(vmaServerMs, "0.00") + " ms", $"worker's HTTP round trip mean {F(clientMs, "0.0")} ms"),
            Row("saga step (ProgressObserved) mean", F(w.Delta("worker", "messaging_masstransit_saga_duration_milliseconds_sum", MessageType("ProgressObserved")) / Math.Max(1, w.Delta("worker", "messaging_masstransit_saga_duration_milliseconds_count", MessageType("ProgressObserved")))) + " ms",
                $"{ReplicationStateDefinitionSteps} in flight at most; poll consumer mean {F(w.Delta("worker", "messaging_masstransit_consume_duration_milliseconds_sum", MessageType("PollProgress")) / Math.Max(1, w.Delta("worker", "messaging_masstransit_consume_duration_milliseconds_count", MessageType("PollProgress"))))} ms"),
            Row("latency VMA answer -> committed job row", sampler.CommittedText, commitTimestamps ? "" : "track_commit_timestamp is off"),
            Row("latency VMA answer -> saga applied", sampler.AppliedText, "(before the write)"),
            Row("job-row writes/s with throttle", F(updates), $"skipped (throttled) {F(skipped)}/s; conflicts {F(conflicts, "0")}"),
            Row("job-row writes/s without throttle", F(updates + skipped), "= every observation written (writes + skipped)"),
            Row("vm_disks upserts/s, job_log rows/s", $"{F(disks)} / {F(logs)}", "disk rows are written with each job-row write"),
            Row("PostgreSQL commits/s, rows updated/s", $"{F(w.DatabaseRate("xact_commit"))} / {F(w.DatabaseRate("tup_updated"))}", $"rows inserted/s {F(w.DatabaseRate("tup_inserted"))} (pg_stat_database, whole run database)"),
            Row("messages/s through the broker", $"{F(published)} published, {F(consumed)} consumed", "MassTransit send (publish included) and receive counters, worker + scheduler"),
            Row("raw broker ceiling (RabbitMQ.Client)", $"{F(ceiling.PublishedPerSecond)} published, {F(ceiling.ConsumedPerSecond)} consumed", $"{ceiling.MessageBytes}-byte persistent messages{(messageBytes is null ? " (size guessed: no ProgressObserved captured)" : " (a captured ProgressObserved)")}, confirms + acks, {F(ceiling.Seconds, "0")} s, one queue"),
            Row("pipeline / ceiling (consumed msgs/s)", F(consumed / ceiling.ConsumedPerSecond * 100, "0.0") + "%", $"{F(consumed / Math.Max(1, polls), "0.00")} messages per poll"),
            "",
            "memory: /proc/<pid>/status, idle baseline (mean of 3 samples after start-up, before any job) vs steady state (mean over the window)",
            MemoryTable(baseline, steady),
            "",
            "CPU during the window (% of one core; the machine has " + Environment.ProcessorCount + "), and CPU time per answered poll:",
            string.Join(Environment.NewLine, w.Start.CpuSeconds.Keys.Select(k => $"  {k,-28} {F(w.CpuPercent(k), "0"),5}%   {F(w.CpuPercent(k) * 10 / Math.Max(0.001, polls), "0.00"),6} ms/poll")),
            "",
            // The two lines scripts read: every process but the driver, and PostgreSQL's commits, per answered poll.
            $"cpu ms per poll (all processes): {F(w.Start.CpuSeconds.Keys.Where(k => k != "this driver").Sum(k => w.CpuPercent(k)) * 10 / Math.Max(0.001, polls), "0.00")}",
            $"postgres commits per poll: {F(w.DatabaseRate("xact_commit") / Math.Max(0.001, polls), "0.00")}",
            "",
            "method: polls/s = the VMA's own vma_progress_documents_total over the window (documents served by GET /api/v1/progress/{jobId}",
            "  and POST /api/v1/progress/batch alike: one per answered poll of a job).",
            "  Latency: every 250 ms the driver reads each streaming job row's version, last_contact_at (the ProgressObserved.ObservedAt",
            "  the worker stamped when the VMA's answer arrived) and pg_xact_commit_timestamp(xmin) (when PostgreSQL committed the write,",
            "  track_commit_timestamp=on); each new (row, version) seen is one saga write. Same host clock for both. A claim written",
            "  after the saga's write (the sweep's, or a late poll's) also moves xmin: such a write is dated by the claim's commit, an",
            "  upper bound ('hidden'). 'applied' uses updated_at (the saga's clock when it applied the observation, before its UPDATE).",
            "  Writes overwritten within 250 ms are not sampled. The sampler's PostgreSQL backend counts as the driver's CPU.",
            "  DB writes: the worker's PersistenceMetrics counters (job updates, skipped updates) and PostgreSQL's pg_stat_database.",
            "  Memory per 100 jobs = (steady - idle) / (N / 100): it includes JIT, pools and GC headroom grown under load, not only per-job state.",
        };
        return string.Join(Environment.NewLine, text);
    }

    private Task PublishStartsAsync(Uri vmaUrl) =>
        StartPublisher.PublishAsync(rabbit!, runId, Enumerable.Range(1, Settings.Jobs).Select(i => new StartReplication
        {
            JobId = string.Create(CultureInfo.InvariantCulture, $"bench-{i}"),
            VmaUrl = vmaUrl.ToString(),
            Vm = new VmReference { Name = string.Create(CultureInfo.InvariantCulture, $"demo-vm-{i}") },
            SyncType = SyncType.Full,
        }));

    private async Task<Dictionary<string, long>> StatusCountsAsync()
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, count(*) FROM replication_jobs GROUP BY status", connection);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
        }

        return counts;
    }

    private async Task<Dictionary<string, long>> DatabaseStatsAsync()
    {
        await using var connection = new NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Dictionary<string, long>
        {
            ["xact_commit"] = reader.GetInt64(0),
            ["tup_inserted"] = reader.GetInt64(1),
            ["tup_updated"] = reader.GetInt64(2),
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            if (vhostCreated && rabbit is not null)
            {
                await rabbit.DeleteVirtualHostAsync(runId);
            }

            if (databaseCreated)
            {
                await using var admin = new NpgsqlConnection(adminConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{runId}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            rabbit?.Dispose();
        }
    }

    /// <summary>
    /// Reads each job row's latest saga write, four times a second on one connection of its own: when the VMA answered,
    /// when the saga applied it, when PostgreSQL committed it.
    /// </summary>
    /// <remarks>
    /// A saga write is a new <c>version</c> of the row. The sweep's claims and the poller's claim moves update the row
    /// too (a new xmin, the version unchanged), so a row's xmin is not always the saga's: a version first seen after a
    /// claim overwrote it is dated by that later commit, an upper bound, and counted as hidden.
    /// </remarks>
    private sealed class CommitSampler(string connectionString, bool commitTimestamps) : IAsyncDisposable
    {
        public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

        private readonly HashSet<(string Id, long Version)> seen = [];
        private readonly List<double> committed = [];
        private readonly List<double> applied = [];
        private NpgsqlConnection? connection;
        private int hidden;

        /// <summary>The PostgreSQL backend serving the sampler: its CPU is the driver's, not the pipeline's.</summary>
        public int BackendPid { get; private set; }

        public string CommittedText => commitTimestamps
            ? $"{Percentiles(committed)}; {hidden} first seen under a sweep's claim (dated by it: an upper bound)"
            : "n/a";

        public string AppliedText => Percentiles(applied);

        public async Task OpenAsync()
        {
            connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var pid = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
            BackendPid = (int)(await pid.ExecuteScalarAsync() ?? 0);
        }

        public async Task SampleAsync(bool record)
        {
            var commit = commitTimestamps ? "pg_xact_commit_timestamp(xmin)" : "NULL::timestamptz";
            await using var command = new NpgsqlCommand(
                $"SELECT id, version, xmin::text, last_contact_at, updated_at, {commit} FROM replication_jobs WHERE status = 'streaming' AND last_contact_at IS NOT NULL",
                connection);
            var rows = new List<(string Id, long Version, string Xmin, DateTimeOffset Contact, DateTimeOffset Updated, DateTimeOffset? Committed)>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                        reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
                }
            }

            // A sweep claims many jobs in one statement; a saga step writes one job row per transaction.
            var rowsPerXmin = rows.CountBy(row => row.Xmin).ToDictionary();
            foreach (var row in rows)
            {
                if (!seen.Add((row.Id, row.Version)) || !record)
                {
                    continue;
                }

                applied.Add((row.Updated - row.Contact).TotalMilliseconds);
                if (row.Committed is { } at)
                {
                    committed.Add((at - row.Contact).TotalMilliseconds);
                    hidden += rowsPerXmin[row.Xmin] > 1 ? 1 : 0;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Issue 2's figure: the OMA side (workers, scheduler, in-memory bus, SQLite) in one process, the VMA in another, so the
/// OMA side's memory per 100 jobs is its own.
/// </summary>
public sealed class InMemoryRun(PipelineSettings settings) : PipelineRun(settings)
{
    private string DatabasePath => Path.Combine(RunDirectory, "bench.db");

    public override async Task<string> ExecuteAsync()
    {
        Directory.CreateDirectory(RunDirectory);
        Progress($"{Settings.Jobs} jobs on the in-memory bus + SQLite, logs in {RunDirectory}");
        var vma = ChildProcess.Start("VmaAgent", Settings.HostDll("VmaAgent"), [], Settings.VmaEnvironment(Path.Combine(RunDirectory, "targets")), RunDirectory, LoopbackPorts.Next());
        Children.Add(vma);
        await vma.WaitReadyAsync(Http, TimeSpan.FromSeconds(60));

        var urlFile = Path.Combine(RunDirectory, "embedded.url");
        var environment = new Dictionary<string, string>(Settings.TrackingEnvironment());
        var benchmarkDll = typeof(PipelineLoad).Assembly.Location;
        var oma = ChildProcess.Start("OMA-embedded", benchmarkDll,
            [EmbeddedHost.Command, "--jobs", Settings.Jobs.ToString(CultureInfo.InvariantCulture), "--vma-url", vma.Url.ToString(),
                "--database", DatabasePath, "--url-file", urlFile],
            environment, RunDirectory, port: null);
        Children.Add(oma);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(urlFile))
        {
            if (oma.HasExited || clock.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new BenchmarkSetupException($"the embedded OMA did not start; see {oma.LogPath}:\n{oma.Tail()}");
            }

            await Task.Delay(250);
        }

        oma.Url = new Uri((await File.ReadAllTextAsync(urlFile)).Trim());
        await oma.WaitReadyAsync(Http, TimeSpan.FromSeconds(60));
        Progress($"processes ready (VmaAgent pid {vma.Pid}, embedded OMA pid {oma.Pid}); idle baseline");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var baseline = await MemoryAsync(Children, 3);

        Wave = new WaveTimeline(Settings.Jobs, Stopwatch.StartNew());
        await oma.SendLineAsync(EmbeddedHost.StartLine);
        Wave.MarkPublished();
        await WaitForStreamingAsync(StatusCountsAsync);
        if (Settings.WaveOnly)
        {
            Failed = false;
            return WaveReport("the in-memory bus + SQLite (the OMA in one process)");
        }

        Progress($"all {Settings.Jobs} streaming; warm-up {Settings.WarmupSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(Settings.WarmupSeconds));

        var endpoints = new Dictionary<string, Uri> { ["vma"] = vma.Url, ["oma"] = oma.Url };
        var cpu = new Dictionary<string, Func<double>>
        {
            ["VmaAgent"] = () => ProcStats.CpuSeconds(vma.Pid),
            ["OMA embedded (workers+scheduler+bus+SQLite)"] = () => ProcStats.CpuSeconds(oma.Pid),
            ["this driver"] = () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
        };
        var seenVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        var applied = new List<double>();
        await SampleAppliedAsync(seenVersions, applied, record: false);
        var start = await SnapshotAsync(endpoints, cpu, null);
        Progress($"measuring for {Settings.WindowSeconds} s");
        var memory = Children.ToDictionary(c => c, _ => (Rss: 0L, Anon: 0L));
        var samples = 0;
        while (start.Clock.Elapsed < TimeSpan.FromSeconds(Settings.WindowSeconds))
        {
            var tick = Stopwatch.StartNew();
            foreach (var child in Children)
            {
                var (rss, anon) = ProcStats.Memory(child.Pid);
                memory[child] = (memory[child].Rss + rss, memory[child].Anon + anon);
            }

            samples++;
            await SampleAppliedAsync(seenVersions, applied, record: true);
            var rest = TimeSpan.FromSeconds(1) - tick.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
        }

        var seconds = start.Clock.Elapsed.TotalSeconds;
        var end = await SnapshotAsync(endpoints, cpu, null);
        var steady = memory.ToDictionary(m => m.Key, m => (m.Value.Rss / samples, m.Value.Anon / samples));
        var countsAtEnd = await StatusCountsAsync();
        Failed = false;
        return Format(new Window(start, end, seconds), baseline, steady, countsAtEnd, applied);
    }

    private string Format(
        Window w,
        Dictionary<ChildProcess, (long Rss, long Anon)> baseline,
        Dictionary<ChildProcess, (long Rss, long Anon)> steady,
        Dictionary<string, long> countsAtEnd,
        List<double> applied)
    {
        var n = Settings.Jobs;
        var ideal = n / 2.0;
        var polls = w.Rate("vma", Names.ProgressDocuments);
        var updates = w.Rate("oma", Names.JobUpdates);
        var skipped = w.Rate("oma", Names.SkippedUpdates);
        var oma = baseline.Keys.Single(k => k.Name == "OMA-embedded");
        var omaDelta = steady[oma].Rss - baseline[oma].Rss;
        var text = new List<string>
        {
            $"Pipeline benchmark (issue 2): {n} concurrent simulated jobs, OMA side in one process on the in-memory bus + SQLite ({w.Start.At:yyyy-MM-dd HH:mm} UTC)",
            "processes: VmaAgent (`dotnet VmaAgent.dll`, Release) and the OMA side = Cli's EmbeddedSystem (workers + scheduler with the Quartz RAM store",
            "  + in-memory bus + SQLite; its own built-in agent holds 0 VMs and is idle) in a second process, so the VMA's memory is not counted",
            $"jobs: VMA with {n} simulated VMs, MaxConcurrentJobs {n}, {PipelineSettings.DiskSize} disks, BlockSize {PipelineSettings.BlockSize}, ExtentSize {PipelineSettings.ExtentSize}, cap {PipelineSettings.Cap}/s per job, StageDelay 50 ms",
            $"tracking: {Settings.TrackingText}",
            $"machine: {Environment.ProcessorCount} cores shared with other work; load average {w.Start.LoadAverage} at window start, {w.End.LoadAverage} at end; machine CPU busy {F(w.MachineBusyPercent, "0")}% during the window",
            $"{StreamingText}; warm-up {Settings.WarmupSeconds} s; window {F(w.Seconds, "0")} s; rows at its end: {string.Join(", ", countsAtEnd.Select(c => $"{c.Value} {c.Key}"))}",
            Wave!.Line,
            "",
            Row("metric", "value", "note"),
            Row("polls/s (progress documents the VMA served)", F(polls), $"ideal N/2 = {F(ideal)}: {F(polls / ideal * 100, "0.0")}%"),
            Row("ProgressObserved consumed/s (saga)", F(w.Rate("oma", Names.Saga, MessageType("ProgressObserved")))),
            Row("latency VMA answer -> saga applied", Percentiles(applied), "(updated_at - last_contact_at; SQLite has no commit time)"),
            Row("job-row writes/s with throttle", F(updates), $"skipped (throttled) {F(skipped)}/s"),
            Row("job-row writes/s without throttle", F(updates + skipped), "= every observation written"),
            Row("OMA side memory per 100 jobs (RSS)", Mb(omaDelta / (n / 100.0)) + " MB", "target < 10 MB per 100 concurrent jobs"),
            "",
            "memory: /proc/<pid>/status, idle baseline (mean of 3 samples after start-up, before any job) vs steady state (mean over the window)",
            MemoryTable(baseline, steady),
            "",
            "CPU during the window (% of one core; the machine has " + Environment.ProcessorCount + "):",
            string.Join(Environment.NewLine, w.Start.CpuSeconds.Keys.Select(k => $"  {k,-44} {F(w.CpuPercent(k), "0"),5}%")),
            "",
            "method: as pipeline on RabbitMQ (see pipeline-<N>.txt); memory per 100 jobs = (steady - idle RSS of the OMA process) / (N / 100).",
        };
        return string.Join(Environment.NewLine, text);
    }

    private async Task<Dictionary<string, long>> StatusCountsAsync()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!File.Exists(DatabasePath))
        {
            return counts;
        }

        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, count(*) FROM replication_jobs GROUP BY status";
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        catch (SqliteException)
        {
        }

        return counts;
    }

    private async Task SampleAppliedAsync(Dictionary<string, long> seen, List<double> applied, bool record)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, version, last_contact_at, updated_at FROM replication_jobs WHERE status = 'streaming' AND last_contact_at IS NOT NULL";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            var version = reader.GetInt64(1);
            if (seen.TryGetValue(id, out var known) && known == version)
            {
                continue;
            }

            seen[id] = version;
            if (record)
            {
                var contact = DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture);
                var updated = DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture);
                applied.Add((updated - contact).TotalMilliseconds);
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000;";
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }
}
