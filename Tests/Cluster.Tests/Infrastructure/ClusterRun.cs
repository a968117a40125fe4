using System.Globalization;
using MassTransit;
using Migration.Contracts;
using Migration.Contracts.Vma;
using Npgsql;
using Xunit.Abstractions;

using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// One test's cluster: its own RabbitMQ virtual host and PostgreSQL database on the shared test servers, the host
/// processes it starts against them, and a publisher for <see cref="StartReplication"/>. Disposing kills every
/// process it started (whatever the test's outcome), writes their log tails to the test output, and deletes the
/// virtual host and the database.
/// </summary>
public sealed class ClusterRun : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<HostProcess> _processes = [];
    private readonly string _databaseName;

    private ClusterRun(ITestOutputHelper output, TestServers servers, string name, string databaseName, string workDirectory)
    {
        _output = output;
        Servers = servers;
        VirtualHost = name;
        _databaseName = databaseName;
        WorkDirectory = workDirectory;
        Management = new RabbitManagement(servers);
        var database = new NpgsqlConnectionStringBuilder(servers.PostgresAdmin) { Database = databaseName };
        DatabaseConnectionString = database.ConnectionString;
        Database = new JobDatabase(DatabaseConnectionString);
    }

    public TestServers Servers { get; }

    public RabbitManagement Management { get; }

    public string VirtualHost { get; }

    public string DatabaseConnectionString { get; }

    public JobDatabase Database { get; }

    /// <summary>Logs and the VMA's target images of this run (the images are deleted at the end, the logs kept).</summary>
    public string WorkDirectory { get; }

    public static async Task<ClusterRun> CreateAsync(string testName, ITestOutputHelper output)
    {
        var servers = TestServers.FromEnvironment();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var name = $"cluster-{testName}-{suffix}";
        var databaseName = $"cluster_{testName.Replace('-', '_')}_{suffix}";
        var workDirectory = Path.Combine(HostProcess.RepositoryRoot, ".tmp", "cluster-tests", name);
        Directory.CreateDirectory(workDirectory);

        var run = new ClusterRun(output, servers, name, databaseName, workDirectory);
        await run.Management.CreateVirtualHostAsync(name, servers.RabbitUser);
        // Unpooled: a test before this one may have restarted PostgreSQL (the chaos run), which kills pooled connections.
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(servers.PostgresAdmin) { Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{databaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        output.WriteLine($"virtual host {name}, database {databaseName}, logs in {workDirectory}");
        return run;
    }

    /// <summary>The VMA agent with <paramref name="vmCount"/> simulated VMs (1 to 3 disks of 4 MiB each).</summary>
    public HostProcess StartVma(string name, int vmCount, string throughputCapPerJob, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Vma__Simulated__VmCount"] = vmCount.ToString(CultureInfo.InvariantCulture),
            ["Vma__Simulated__DiskSize"] = "4MiB",
            ["Vma__Jobs__MaxConcurrentJobs"] = vmCount.ToString(CultureInfo.InvariantCulture),
            ["Vma__Jobs__ThroughputCapPerJob"] = throughputCapPerJob,
            ["Vma__Jobs__ChunkSize"] = "64KiB",
            ["Vma__Target__Directory"] = Path.Combine(WorkDirectory, "targets"),
            // Every progress request in the log, with its time: the poll cadence is measured from it.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        };
        return Start(name, "VmaAgent", Merge(settings, extra));
    }

    /// <summary>
    /// A VMA whose plain <paramref name="healthUrl"/> is where the harness finds it (its health port, when
    /// <paramref name="extra"/> configures Kestrel's HTTPS endpoint).
    /// </summary>
    public HostProcess StartVmaAt(string name, Uri healthUrl, IReadOnlyDictionary<string, string> extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["Vma__Target__Directory"] = Path.Combine(WorkDirectory, "targets"),
            ["Vma__Tls__HealthUrls"] = healthUrl.ToString().TrimEnd('/'),
        };
        var process = HostProcess.Start(name, "VmaAgent", Merge(settings, extra), WorkDirectory, url: healthUrl);
        _processes.Add(process);
        _output.WriteLine($"started {name} (VmaAgent) pid {process.Pid}, health on {process.Url}");
        return process;
    }

    public HostProcess StartWorker(string name, IReadOnlyDictionary<string, string>? tracking = null) =>
        Start(name, "OmaWorkers", Merge(OmaSettings(), tracking));

    /// <summary>A Scheduler on the clustered ADO.NET Quartz store in this run's database.</summary>
    public HostProcess StartScheduler(string name, IReadOnlyDictionary<string, string>? tracking = null)
    {
        var settings = OmaSettings();
        settings["Scheduler__Quartz__Store"] = "AdoNet";
        settings["Scheduler__Quartz__Clustered"] = "true";
        return Start(name, "Scheduler", Merge(settings, tracking));
    }

    /// <summary>
    /// The usual shape: one VMA with <paramref name="vmCount"/> VMs, two workers and two schedulers, all ready.
    /// <paramref name="tracking"/> (Tracking__* settings) goes to every worker and scheduler.
    /// </summary>
    public async Task<Topology> StartTopologyAsync(int vmCount, string throughputCapPerJob, IReadOnlyDictionary<string, string>? tracking = null)
    {
        var topology = new Topology(
            StartVma("vma", vmCount, throughputCapPerJob),
            [StartWorker("worker-a", tracking), StartWorker("worker-b", tracking)],
            [StartScheduler("scheduler-a", tracking), StartScheduler("scheduler-b", tracking)]);
        await WaitReadyAsync([topology.Vma, .. topology.Workers, .. topology.Schedulers]);
        return topology;
    }

    /// <summary>Jobs <c>{prefix}-01</c> … on VMs <c>demo-vm-1</c> … of the VMA at <paramref name="vmaUrl"/>.</summary>
    public static List<(string JobId, string VmName, Uri VmaUrl)> Jobs(string prefix, int count, Uri vmaUrl) =>
        [.. Enumerable.Range(1, count).Select(n => (
            string.Create(CultureInfo.InvariantCulture, $"{prefix}-{n:D2}"),
            string.Create(CultureInfo.InvariantCulture, $"demo-vm-{n}"),
            vmaUrl))];

    /// <summary>Waits until at least <paramref name="count"/> job rows are streaming (the run is under way).</summary>
    public async Task WaitUntilStreamingAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var jobs = await Database.GetJobsAsync();
            if (jobs.Count(j => j.Status == "streaming" && j.ProgressPercent > 0) >= count)
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"fewer than {count} jobs were streaming within {timeout}");
    }

    /// <summary>
    /// The jobs whose rows are not finished yet, retried while the database does not answer: after a fault, these are
    /// the jobs that can only finish if polling really resumed.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnfinishedJobsAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return [.. (await Database.GetJobsAsync()).Where(j => j.Status is not ("completed" or "failed")).Select(j => j.Id)];
            }
            catch (NpgsqlException) when (attempt < 30)
            {
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(1000);
            }
        }
    }

    /// <summary>Waits until every named queue has at least <paramref name="consumers"/> consumers, as the management API reports.</summary>
    public async Task<IReadOnlyList<QueueInfo>> WaitForConsumersAsync(IReadOnlyList<string> queueNames, int consumers, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var queues = await Management.GetQueuesAsync(VirtualHost);
            var missing = queueNames.Where(name => !queues.Any(q => q.Name == name && q.Consumers >= consumers)).ToList();
            if (missing.Count == 0)
            {
                return queues;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"after {timeout} these queues still had fewer than {consumers} consumers: {string.Join(", ", missing)}; queues: {string.Join("; ", queues)}");
            }

            await Task.Delay(1000);
        }
    }

    public static async Task WaitReadyAsync(params HostProcess[] processes) =>
        await Task.WhenAll(processes.Select(p => p.WaitReadyAsync(TimeSpan.FromSeconds(90))));

    /// <summary>Publishes one <see cref="StartReplication"/> per job on this run's virtual host, as an integrator does.</summary>
    public Task PublishStartsAsync(IEnumerable<(string JobId, string VmName, Uri VmaUrl)> jobs, Contracts.Status.SyncType syncType = Contracts.Status.SyncType.Full) =>
        PublishAsync(jobs.Select(job => new StartReplication
        {
            JobId = job.JobId,
            VmaUrl = job.VmaUrl.ToString().TrimEnd('/'),
            Vm = new VmReference { Name = job.VmName },
            SyncType = syncType,
        }));

    /// <summary>Publishes the commands as they are (a target of their own, for example).</summary>
    public async Task PublishAsync(IEnumerable<StartReplication> commands)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(
            Servers.Amqp.Host,
            (ushort)Servers.Amqp.Port,
            VirtualHost,
            h =>
            {
                h.Username(Servers.RabbitUser);
                h.Password(Servers.RabbitPassword);
                h.PublisherConfirmation = true;
            }));
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        try
        {
            foreach (var command in commands)
            {
                await bus.Publish(command);
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    /// <summary>
    /// Waits until every job row is completed or failed, sampling all rows about once a second meanwhile; a database
    /// that does not answer (a fault test stopped it) is simply sampled again later.
    /// </summary>
    public async Task<IReadOnlyList<JobRow>> WaitForJobsAsync(
        IReadOnlyCollection<string> jobIds, ProgressMonitor monitor, TimeSpan timeout)
    {
        var started = DateTime.UtcNow;
        IReadOnlyList<JobRow> last = [];
        while (DateTime.UtcNow - started < timeout)
        {
            try
            {
                last = await Database.GetJobsAsync();
                monitor.Sample(last);
                if (last.Count(j => jobIds.Contains(j.Id) && (j.Status is "completed" or "failed")) == jobIds.Count)
                {
                    return last;
                }
            }
            catch (NpgsqlException)
            {
                NpgsqlConnection.ClearAllPools();
            }
            catch (TimeoutException)
            {
                NpgsqlConnection.ClearAllPools();
            }

            await Task.Delay(1000);
        }

        var unfinished = last.Where(j => jobIds.Contains(j.Id) && j.Status is not ("completed" or "failed")).ToList();
        var missing = jobIds.Except(last.Select(j => j.Id)).ToList();
        throw new TimeoutException(
            $"{unfinished.Count + missing.Count} of {jobIds.Count} jobs unfinished after {timeout}: " +
            string.Join("; ", unfinished.Take(10)) + (missing.Count > 0 ? $"; no row: {string.Join(", ", missing.Take(10))}" : ""));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill();
        }

        foreach (var process in _processes)
        {
            _output.WriteLine(process.Tail(40));
            process.Dispose();
        }

        try
        {
            Directory.Delete(Path.Combine(WorkDirectory, "targets"), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // the VMA wrote nothing
        }

        try
        {
            await Management.DeleteVirtualHostAsync(VirtualHost);
        }
        catch (HttpRequestException ex)
        {
            _output.WriteLine($"virtual host {VirtualHost} not deleted: {ex.Message}");
        }

        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(Servers.PostgresAdmin);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            _output.WriteLine($"database {_databaseName} not dropped: {ex.Message}");
        }

        Management.Dispose();
    }

    private HostProcess Start(string name, string project, Dictionary<string, string> settings)
    {
        var process = HostProcess.Start(name, project, settings, WorkDirectory);
        _processes.Add(process);
        _output.WriteLine($"started {name} ({project}) pid {process.Pid} on {process.Url}");
        return process;
    }

    private Dictionary<string, string> OmaSettings() => new()
    {
        ["Bus__Transport"] = "RabbitMq",
        ["Bus__RabbitMq__Host"] = Servers.Amqp.Host,
        ["Bus__RabbitMq__Port"] = Servers.Amqp.Port.ToString(CultureInfo.InvariantCulture),
        ["Bus__RabbitMq__VirtualHost"] = VirtualHost,
        ["Bus__RabbitMq__Username"] = Servers.RabbitUser,
        ["Bus__RabbitMq__Password"] = Servers.RabbitPassword,
        ["Database__Provider"] = "Postgres",
        ["Database__ConnectionString"] = DatabaseConnectionString,
    };

    private static Dictionary<string, string> Merge(Dictionary<string, string> settings, IReadOnlyDictionary<string, string>? extra)
    {
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }
}

/// <summary>The processes of one run.</summary>
public sealed record Topology(HostProcess Vma, HostProcess[] Workers, HostProcess[] Schedulers);
