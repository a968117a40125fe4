using MassTransit;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.OmaWorkers;
using Migration.Oma.Bus;
using Migration.Oma.Hosting;
using Migration.Oma.Persistence;
using Migration.Oma.Web;
using Migration.Scheduler;
using Migration.Scheduler.Messages;
using Migration.VmaAgent;
using Migration.VmaAgent.Sources;

namespace Migration.Cli.Embedded;

/// <summary>
/// The VMA agent, the OMA workers and the scheduler in one process, on whatever bus and database the configuration
/// names (the in-memory bus and SQLite by default). The demo runs on it, and so do the end-to-end tests.
/// </summary>
public sealed class EmbeddedSystem : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedSystem(WebApplication app, Uri vmaUrl)
    {
        _app = app;
        VmaUrl = vmaUrl;
    }

    /// <summary>The agent's base URL (Kestrel on a free loopback port); the OMA's read-only API and live page are served there too.</summary>
    public Uri VmaUrl { get; }

    public IServiceProvider Services => _app.Services;

    public IJobQueries Queries => Services.GetRequiredService<IJobQueries>();

    public SimulatedInventory Inventory => Services.GetRequiredService<SimulatedInventory>();

    public static async Task<EmbeddedSystem> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "migration-demo" });
        // Quartz keeps schedulers in a process-wide registry by name: two systems in one process (tests) need two names.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Scheduler:Quartz:SchedulerName"] = $"migration-embedded-{Guid.NewGuid():N}",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);

        builder.Services.AddServiceDefaults(builder.Configuration, "migration-embedded");
        builder.Services.AddVmaAgent(builder.Configuration);
        builder.Services.AddOmaWorkers(builder.Configuration);
        builder.Services.AddPollScheduler(builder.Configuration);
        builder.Services.AddOmaWeb(builder.Configuration);
        builder.Services.AddMigrationBus(builder.Configuration, (bus, options) =>
        {
            bus.AddOmaWorkerConsumers();
            if (options.Transport == BusTransport.RabbitMq)
            {
                bus.AddSchedulerEndpoint(options.SchedulerQueue);
            }
        });

        var app = builder.Build();
        app.MapVmaAgent(includeHostEndpoints: false);
        app.MapOmaWeb(includeOpenApi: false);
        app.MapServiceDefaults();
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new EmbeddedSystem(app, new Uri(address));
    }

    /// <summary>Publishes <see cref="StartReplication"/> the way any integrator would.</summary>
    public async Task StartReplicationAsync(
        string jobId, string vmName, SyncType syncType, Uri? vmaUrl = null, CancellationToken cancellationToken = default,
        ReplicationTarget? target = null)
    {
        var bus = Services.GetRequiredService<IBus>();
        await bus.Publish(new StartReplication
        {
            JobId = jobId,
            VmaUrl = (vmaUrl ?? VmaUrl).ToString(),
            Vm = new VmReference { Name = vmName },
            SyncType = syncType,
            Target = target,
        }, cancellationToken);
    }

    /// <summary>Waits until one job's row satisfies <paramref name="condition"/>.</summary>
    public async Task<JobView> WaitForAsync(string jobId, Func<JobView, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var time = Services.GetRequiredService<TimeProvider>();
        var deadline = time.GetUtcNow() + timeout;
        JobView? job = null;
        while (time.GetUtcNow() < deadline)
        {
            job = await Queries.GetJobAsync(jobId, cancellationToken);
            if (job is not null && condition(job))
            {
                return job;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        throw new TimeoutException($"job {jobId} did not reach the expected state within {timeout}; last: {job?.Status} {job?.CurrentOperation} {job?.ErrorMessage}");
    }

    /// <summary>Waits until every job is completed or failed (as the database says), or the time runs out.</summary>
    public async Task<IReadOnlyList<JobView>> WaitForJobsAsync(
        IReadOnlyCollection<string> jobIds,
        TimeSpan timeout,
        Action<IReadOnlyList<JobView>>? onUpdate = null,
        CancellationToken cancellationToken = default)
    {
        var time = Services.GetRequiredService<TimeProvider>();
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var jobs = new List<JobView>();
            foreach (var id in jobIds)
            {
                if (await Queries.GetJobAsync(id, cancellationToken) is { } job)
                {
                    jobs.Add(job);
                }
            }

            onUpdate?.Invoke(jobs);
            if (jobs.Count == jobIds.Count && jobs.All(j => StatusMapping.IsTerminal(j.Status)))
            {
                return jobs;
            }

            if (time.GetUtcNow() > deadline)
            {
                return jobs;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
    }

    public async Task StopAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
    }
}
