using System.Globalization;
using System.Reflection;
using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// Everything the chaos run is sized and timed by, from its command line. Fault times are seconds after the fault
/// schedule starts (once half the jobs stream); every job is a full sync of a two-disk simulated VM, sized so that the
/// jobs still stream when the last fault comes.
/// </summary>
public sealed class ChaosSettings
{
    public int Jobs { get; init; }

    /// <summary>Capacity of each simulated disk; about half of it is allocated, which a full sync moves.</summary>
    public string DiskSize { get; init; } = "4MiB";

    /// <summary>Bytes per second one job moves (both its disks together).</summary>
    public string Cap { get; init; } = "20KiB";

    public double WorkerKillEvery { get; init; } = 10;

    /// <summary>How long a killed worker stays down before it is started again.</summary>
    public double WorkerDown { get; init; } = 1;

    public double SchedulerAAt { get; init; } = 15;

    public double RabbitAt { get; init; } = 30;

    public double PostgresAt { get; init; } = 65;

    public double PostgresDown { get; init; } = 20;

    public double VmaAt { get; init; } = 100;

    public double SchedulerBAt { get; init; } = 125;

    /// <summary>How long after the last scheduled fault the run waits for every job to end before it counts the rest as stuck.</summary>
    public double DrainSeconds { get; init; } = 480;

    /// <summary>First port of the hosts' loopback ports (five in a row, the first free ones from here).</summary>
    public int PortBase { get; init; } = 57000;

    /// <summary>Tracking__* overrides for workers and schedulers (none by default: the seed's intervals).</summary>
    public Dictionary<string, string> Tracking { get; init; } = [];

    public string Repository { get; init; } = "";

    public bool Keep { get; init; }

    public static ChaosSettings Parse(string[] arguments)
    {
        var args = new BenchmarkArgs(arguments);
        double Seconds(string name, double fallback) =>
            args.Option(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

        var defaults = new ChaosSettings();
        var tracking = new Dictionary<string, string>();
        if (args.Option("contact-timeout") is { } contact)
        {
            tracking["Tracking__ContactTimeout"] = contact;
        }

        if (args.Option("poll-batch") is not null)
        {
            tracking["Tracking__PollBatchSize"] = args.PollBatch().ToString(CultureInfo.InvariantCulture);
        }

        return new ChaosSettings
        {
            Jobs = args.Int("jobs", 0) is > 0 and var jobs ? jobs : throw new BenchmarkSetupException("--jobs N (N > 0) is required"),
            DiskSize = args.Option("disk-size") ?? defaults.DiskSize,
            Cap = args.Option("cap") ?? defaults.Cap,
            WorkerKillEvery = Seconds("worker-kill-every", defaults.WorkerKillEvery),
            WorkerDown = Seconds("worker-down", defaults.WorkerDown),
            SchedulerAAt = Seconds("scheduler-a-at", defaults.SchedulerAAt),
            RabbitAt = Seconds("rabbit-at", defaults.RabbitAt),
            PostgresAt = Seconds("postgres-at", defaults.PostgresAt),
            PostgresDown = Seconds("postgres-down", defaults.PostgresDown),
            VmaAt = Seconds("vma-at", defaults.VmaAt),
            SchedulerBAt = Seconds("scheduler-b-at", defaults.SchedulerBAt),
            DrainSeconds = Seconds("drain", defaults.DrainSeconds),
            PortBase = args.Int("port-base", defaults.PortBase),
            Tracking = tracking,
            Repository = args.Option("repo") ?? PipelineLoad.FindRepository(),
            Keep = args.Flag("keep"),
        };
    }

    public double LastFaultAt => new[] { SchedulerAAt, RabbitAt, PostgresAt + PostgresDown, VmaAt, SchedulerBAt }.Max();

    /// <summary>The simulated VM of job <paramref name="number"/> (1-based): <c>demo-vm-2</c>, <c>-5</c>, <c>-8</c> … all with two disks.</summary>
    public static string VmName(int number) => string.Create(CultureInfo.InvariantCulture, $"demo-vm-{(3 * number) - 1}");

    public static string JobId(int number) => string.Create(CultureInfo.InvariantCulture, $"chaos-{number:D4}");

    /// <summary>The hosts run from the build of the same configuration as this benchmark (Release for the figures).</summary>
    public string HostDll(string host) => Path.Combine(Repository, host, "bin", Configuration, "net10.0", host + ".dll");

    public static string Configuration { get; } =
        typeof(ChaosSettings).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Release";

    public Dictionary<string, string> VmaEnvironment(string targetDirectory, string journalDirectory) => new()
    {
        ["Vma__Simulated__VmCount"] = (3 * Jobs).ToString(CultureInfo.InvariantCulture),
        ["Vma__Simulated__DiskSize"] = DiskSize,
        ["Vma__Simulated__BlockSize"] = "4KiB",
        ["Vma__Simulated__ExtentSize"] = "64KiB",
        ["Vma__Jobs__MaxConcurrentJobs"] = Jobs.ToString(CultureInfo.InvariantCulture),
        ["Vma__Jobs__ThroughputCapPerJob"] = Cap,
        ["Vma__Jobs__StageDelay"] = "00:00:00.050",
        ["Vma__Jobs__Journal"] = "true",
        ["Vma__Jobs__JournalDirectory"] = journalDirectory,
        ["Vma__Target__Directory"] = targetDirectory,
    };

    public string Header => string.Join(Environment.NewLine,
        $"chaos run: {Jobs} jobs (full syncs of two-disk simulated VMs, {DiskSize} disks about half allocated, {Cap}/s per job) through real processes (`dotnet <Host>.dll`, {Configuration} build): VmaAgent, OmaWorkers x2, Scheduler x2 (Quartz AdoNet store on PostgreSQL, clustered), private RabbitMQ + PostgreSQL (scripts/servers.sh)",
        $"tracking: {(Tracking.Count == 0 ? "the seed's (poll every 2 s, contact timeout 5 min, HTTP timeout 10 s)" : "the seed's except " + string.Join(", ", Tracking.Select(t => $"{t.Key}={t.Value}")))}",
        string.Create(CultureInfo.InvariantCulture,
            $"faults (seconds after half the jobs stream): kill -9 a worker every {WorkerKillEvery} s (started again {WorkerDown} s later) until every job ended; scheduler-a SIGTERM + start at {SchedulerAAt}; RabbitMQ restart at {RabbitAt}; PostgreSQL stopped at {PostgresAt} for {PostgresDown} s; VMA SIGKILL + start (journal resume) at {VmaAt}; scheduler-b SIGKILL + start at {SchedulerBAt}"));
}
