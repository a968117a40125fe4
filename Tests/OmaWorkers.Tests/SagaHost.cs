using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.OmaWorkers;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.OmaWorkers;

/// <summary>The real state machine under MassTransit's test harness, with compressed intervals.</summary>
public sealed class SagaHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SagaHost(ServiceProvider provider, RecordingStore store)
    {
        _provider = provider;
        Store = store;
        Gate = provider.GetRequiredService<ConsumeGate>();
        Harness = provider.GetRequiredService<ITestHarness>();
        Saga = Harness.GetSagaStateMachineHarness<ReplicationStateMachine, ReplicationState>();
        Time = provider.GetRequiredService<TimeProvider>();
    }

    public RecordingStore Store { get; }

    public ConsumeGate Gate { get; }

    public ITestHarness Harness { get; }

    public ISagaStateMachineTestHarness<ReplicationStateMachine, ReplicationState> Saga { get; }

    public TimeProvider Time { get; }

    public static async Task<SagaHost> StartAsync(Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Tracking:ContactTimeout"] = "00:01:00",
            })
            .AddInMemoryCollection(settings ?? [])
            .Build();
        var store = new RecordingStore();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(config);
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddOmaWorkers(config);
        services.RemoveAll<IReplicationStore>();
        services.RemoveAll<IJobQueries>();
        services.AddSingleton<IReplicationStore>(store);
        services.AddSingleton<IJobQueries>(store);
        services.AddSingleton(store);
        services.AddSingleton<ConsumeGate>();
        services.AddMassTransitTestHarness(x =>
        {
            x.AddSagaStateMachine<ReplicationStateMachine, ReplicationState, ReplicationStateDefinition>().InMemoryRepository();
            x.AddDelayedMessageScheduler();
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.UseConsumeFilter(typeof(UnsavedRowsFlush<>), context);
                cfg.ConfigureEndpoints(context);
            });
        });
        var provider = services.BuildServiceProvider(true);
        var host = new SagaHost(provider, store);
        host.Harness.TestTimeout = TimeSpan.FromSeconds(30);
        host.Harness.TestInactivityTimeout = TimeSpan.FromMilliseconds(400);
        await host.Harness.Start();
        return host;
    }

    public Task StartJob(string jobId, string vm = "demo-vm-1", SyncType sync = SyncType.Auto) =>
        Harness.Bus.Publish(new StartReplication { JobId = jobId, VmaUrl = "http://vma.test:8080", Vm = new VmReference { Name = vm }, SyncType = sync });

    /// <summary>Publishes the job's start and waits until its saga is pending.</summary>
    public async Task<ReplicationState> StartPendingJob(string jobId, string vm = "demo-vm-1", SyncType sync = SyncType.Auto)
    {
        await StartJob(jobId, vm, sync);
        return await WaitFor(jobId, j => j.Status == StatusMapping.Pending);
    }

    public Task Observe(ReplicationProgress progress, DateTimeOffset? at = null) =>
        Harness.Bus.Publish(new ProgressObserved { JobId = progress.JobId, Progress = progress, ObservedAt = at ?? Time.GetUtcNow() });

    public Task PollFailed(string jobId, DateTimeOffset? at = null, bool unknown = false) =>
        Harness.Bus.Publish(new ProgressPollFailed { JobId = jobId, FailedAt = at ?? Time.GetUtcNow(), Reason = "connection refused (test)", JobUnknownToVma = unknown });

    public ReplicationState? Job(string jobId) => Saga.Sagas.Contains(JobIdentity.ToCorrelationId(jobId));

    /// <summary>Waits until the saga, read between two steps (see <see cref="ConsumeGate"/>), satisfies the condition.</summary>
    public async Task<ReplicationState> WaitFor(string jobId, Func<ReplicationState, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            if (Gate.TryReadQuiet(() => Job(jobId) is { } found && condition(found) ? found : null, out var job) && job is not null)
            {
                return job;
            }

            await Task.Delay(20);
        }

        var last = Job(jobId);
        throw new TimeoutException($"job {jobId} never reached the expected state; last: status={last?.Status} op={last?.CurrentOperation} percent={last?.ProgressPercent} state={last?.CurrentState} failures={last?.ConsecutivePollFailures}");
    }

    /// <summary>
    /// Waits (up to 15 s) until the job's log holds an entry matching the predicate: the saga's state in memory changes
    /// before its session writes the step's side rows, so a test that saw the state may not see the log yet.
    /// </summary>
    public async Task<List<JobLogEntry>> WaitForLog(string jobId, Func<JobLogEntry, bool> predicate)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var log = Store.LogOf(jobId);
            if (log.Any(predicate))
            {
                return log;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"job {jobId}'s log never got the expected entry; it holds: {string.Join(", ", Store.LogOf(jobId).Select(l => l.EventKind))}");
    }

    /// <summary>Waits (up to 15 s) until a message of type <typeparamref name="T"/> matching the predicate was published.</summary>
    public async Task WaitForPublished<T>(Func<T, bool> predicate)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!Harness.Published.Select<T>().Any(m => predicate(m.Context.Message)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {typeof(T).Name} was published");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the bus has been idle for the inactivity timeout: every message published so far is consumed.</summary>
    public async Task<ReplicationState> Settle(string jobId)
    {
        await Task.Delay(50);
        await Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(10));
        return Job(jobId) ?? throw new InvalidOperationException($"job {jobId} does not exist");
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }

    public static ReplicationProgress Doc(
        string jobId,
        ReplicationStage stage,
        VmaJobStatus status,
        double percent,
        DateTimeOffset updatedAt,
        long total = 1000,
        string? error = null)
    {
        var transferred = (long)(total * percent / 100);
        var diskStatus = status switch
        {
            VmaJobStatus.Succeeded => VmaDiskStatus.Completed,
            VmaJobStatus.Failed => VmaDiskStatus.Failed,
            VmaJobStatus.Streaming or VmaJobStatus.Finalizing => VmaDiskStatus.Streaming,
            VmaJobStatus.Snapshotting => VmaDiskStatus.Snapshotting,
            _ => VmaDiskStatus.Queued,
        };
        var half = transferred / 2;
        return new ReplicationProgress
        {
            JobId = jobId,
            Stage = stage,
            Status = status,
            StartedAt = updatedAt.AddSeconds(-30),
            UpdatedAt = updatedAt,
            CompletedAt = StatusMapping.IsTerminal(status) ? updatedAt : null,
            Error = error,
            Aggregate = new AggregateProgress { TotalBytes = total, BytesTransferred = transferred, Percent = percent, ThroughputBps = 100 },
            Cbt = new CbtInfo { Type = "incremental", PreviousChangeId = "11111111-1111-1111-1111-111111111111/1", ChangeId = "11111111-1111-1111-1111-111111111111/2" },
            Disks =
            [
                new DiskProgress
                {
                    Id = "disk-0", Label = "Hard disk 1", PlannedBytes = total / 2, BytesTransferred = half, Percent = percent,
                    Status = diskStatus, SyncType = "incremental", PreviousChangeId = "11111111-1111-1111-1111-111111111111/1",
                    ChangeId = "11111111-1111-1111-1111-111111111111/2", BlocksChanged = 3,
                },
                new DiskProgress
                {
                    Id = "disk-1", Label = "Hard disk 2", PlannedBytes = total - total / 2, BytesTransferred = transferred - half, Percent = percent,
                    Status = status == VmaJobStatus.Failed ? VmaDiskStatus.Completed : diskStatus, SyncType = "incremental",
                    PreviousChangeId = "22222222-2222-2222-2222-222222222222/4", ChangeId = "22222222-2222-2222-2222-222222222222/5", BlocksChanged = 1,
                },
            ],
        };
    }
}
