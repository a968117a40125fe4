using System.Globalization;
using Migration.Benchmarks.Pipeline;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Tests.Support;
using Npgsql;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// The run's own RabbitMQ virtual host and PostgreSQL database on the private servers, the five hosts on them, and the
/// servers themselves for the faults that stop them. Disposing kills the hosts and drops the virtual host and the database.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private readonly ChaosSettings settings;
    private readonly string adminConnectionString;
    private bool vhostCreated;
    private bool databaseCreated;

    private ChaosCluster(ChaosSettings settings)
    {
        this.settings = settings;
        Rabbit = RabbitServer.FromEnvironment();
        Servers = TestServers.FromEnvironment();
        Management = new RabbitManagement(Servers);
        adminConnectionString = RabbitServer.Required("MIGRATION_TEST_POSTGRES");
        RunId = $"chaos_{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid().ToString("N")[..6]}";
        RunDirectory = Path.Combine(Path.GetTempPath(), RunId);
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = RunId, Timeout = 5, CommandTimeout = 30 }.ConnectionString;
    }

    public string RunId { get; }

    public string RunDirectory { get; }

    public string ConnectionString { get; }

    public RabbitServer Rabbit { get; }

    public TestServers Servers { get; }

    public ChaosHost Vma { get; private set; } = null!;

    public ChaosHost[] Workers { get; private set; } = [];

    public ChaosHost[] Schedulers { get; private set; } = [];

    public IEnumerable<ChaosHost> Hosts => [Vma, .. Workers, .. Schedulers];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public RabbitManagement Management { get; }

    /// <summary>The queues every worker (the first four) or every scheduler consumes from.</summary>
    public static readonly string[] ConsumedQueues = ["replication-state", "poll-progress", "start-vma-replication", "cancel-vma-replication", "scheduler"];

    /// <summary>Waits until each consumed queue has a consumer from both replicas (the management API's figures lag a few seconds).</summary>
    public async Task WaitForConsumersAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var queues = await Management.GetQueuesAsync(RunId);
                if (ConsumedQueues.All(name => queues.Any(q => q.Name == name && q.Consumers >= 2)))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // the broker is still starting
            }

            await Task.Delay(1000);
        }
    }

    public static async Task<ChaosCluster> CreateAsync(ChaosSettings settings)
    {
        var cluster = new ChaosCluster(settings);
        Directory.CreateDirectory(cluster.RunDirectory);
        await cluster.Rabbit.CreateVirtualHostAsync(cluster.RunId);
        cluster.vhostCreated = true;
        await using (var admin = new NpgsqlConnection(cluster.adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{cluster.RunId}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        cluster.databaseCreated = true;
        cluster.CreateHosts();
        return cluster;
    }

    private void CreateHosts()
    {
        var ports = ChaosHost.FreePorts(settings.PortBase, 5);
        var oma = new Dictionary<string, string>(settings.Tracking)
        {
            ["Bus__Transport"] = "RabbitMq",
            ["Bus__RabbitMq__Host"] = Rabbit.Host,
            ["Bus__RabbitMq__Port"] = Rabbit.Port.ToString(CultureInfo.InvariantCulture),
            ["Bus__RabbitMq__VirtualHost"] = RunId,
            ["Bus__RabbitMq__Username"] = Rabbit.User,
            ["Bus__RabbitMq__Password"] = Rabbit.Password,
            ["Database__Provider"] = "Postgres",
            ["Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = RunId }.ConnectionString,
        };
        foreach (var (key, value) in LogFormat)
        {
            oma[key] = value;
        }

        var scheduler = new Dictionary<string, string>(oma)
        {
            ["Scheduler__Quartz__Store"] = "AdoNet",
            ["Scheduler__Quartz__Clustered"] = "true",
        };
        var vma = settings.VmaEnvironment(Path.Combine(RunDirectory, "targets"), Path.Combine(RunDirectory, "journal"));
        foreach (var (key, value) in LogFormat)
        {
            vma[key] = value;
        }

        Vma = new ChaosHost("vma", settings.HostDll("VmaAgent"), vma, RunDirectory, ports[0]);
        Workers = [
            new ChaosHost("worker-a", settings.HostDll("OmaWorkers"), oma, RunDirectory, ports[1]),
            new ChaosHost("worker-b", settings.HostDll("OmaWorkers"), oma, RunDirectory, ports[2])];
        Schedulers = [
            new ChaosHost("scheduler-a", settings.HostDll("Scheduler"), scheduler, RunDirectory, ports[3]),
            new ChaosHost("scheduler-b", settings.HostDll("Scheduler"), scheduler, RunDirectory, ports[4])];
    }

    /// <summary>Starts every host and waits until each is ready; the VMA first (the jobs need it), the workers before the schedulers (the database schema).</summary>
    public async Task StartAllAsync()
    {
        await Vma.StartAsync();
        await ReadyOrThrowAsync(Vma, TimeSpan.FromSeconds(90));
        foreach (var host in Workers.Concat(Schedulers))
        {
            await host.StartAsync();
        }

        foreach (var host in Workers.Concat(Schedulers))
        {
            await ReadyOrThrowAsync(host, TimeSpan.FromSeconds(120));
        }
    }

    private static async Task ReadyOrThrowAsync(ChaosHost host, TimeSpan timeout)
    {
        if (!await host.WaitReadyAsync(timeout))
        {
            throw new BenchmarkSetupException($"{host.Name} was not ready within {timeout}; see {host.LogPath}");
        }
    }

    /// <summary>One line per event with its UTC time, so the hosts' logs line up with the fault log.</summary>
    private static readonly Dictionary<string, string> LogFormat = new()
    {
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__IncludeScopes"] = "false",
    };

    public IReadOnlyList<string> JobIds => [.. Enumerable.Range(1, settings.Jobs).Select(ChaosSettings.JobId)];

    public Task PublishStartsAsync() =>
        StartPublisher.PublishAsync(Rabbit, RunId, Enumerable.Range(1, settings.Jobs).Select(n => new StartReplication
        {
            JobId = ChaosSettings.JobId(n),
            VmaUrl = Vma.Url.ToString().TrimEnd('/'),
            Vm = new VmReference { Name = ChaosSettings.VmName(n) },
            SyncType = SyncType.Full,
        }));

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts.Where(h => h is not null))
        {
            await host.DisposeAsync();
        }

        Http.Dispose();
        var targets = Path.Combine(RunDirectory, "targets");
        if (Directory.Exists(targets))
        {
            Directory.Delete(targets, recursive: true);
        }

        if (vhostCreated && !settings.Keep)
        {
            await Rabbit.DeleteVirtualHostAsync(RunId);
        }

        if (databaseCreated && !settings.Keep)
        {
            try
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(adminConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{RunId}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException ex)
            {
                Console.Error.WriteLine($"database {RunId} not dropped: {ex.Message}");
            }
        }

        Management.Dispose();
        Rabbit.Dispose();
    }
}
