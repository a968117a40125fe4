using MassTransit;
using Microsoft.Extensions.Logging;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Oma.Persistence;
using Migration.OmaWorkers;
using Migration.OmaWorkers.Saga;
using Migration.OmaWorkers.SagaRepository;
using Npgsql;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

/// <summary>
/// The real replication saga on the Dapper repository (SQLite and PostgreSQL): one unit of work per step, written in
/// one transaction at save time.
/// </summary>
[Collection(DatabaseCollection.Name)]
public sealed class SagaUnitOfWorkTests(TestDatabases fixture)
{
    // Whole seconds: PostgreSQL keeps microseconds, and the tests compare timestamps read back.
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds());

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_step_that_throws_after_computing_its_changes_writes_nothing(DatabaseProvider provider)
    {
        await using var saga = await SagaOnDatabase.StartAsync(await fixture.SharedAsync(provider));
        var jobId = TestJobs.NewJobId("throws");
        await saga.StartJobAsync(jobId);
        var before = await saga.RowsAsync(jobId);

        // The document takes the job to Transfer at 60 % (stage and milestone entries computed) and then names a disk
        // status no mapping knows, so the step throws while building the disk rows.
        var hostile = Doc(jobId, ReplicationStage.Transfer, VmaJobStatus.Streaming, 60, T0.AddSeconds(5)) with
        {
            Disks = [new DiskProgress { Id = "disk-0", Label = "Hard disk 1", PlannedBytes = 500, BytesTransferred = 300, Percent = 60, Status = (VmaDiskStatus)99 }],
        };
        await saga.Harness.Bus.Publish(Observation(hostile, T0.AddSeconds(5)));

        await saga.WaitForFaultAsync(jobId);
        var after = await saga.RowsAsync(jobId);
        Assert.Equal(before, after);
        Assert.Empty(after.Disks);
        Assert.Empty(after.History);
        Assert.DoesNotContain(after.Log, l => l.StartsWith("stage", StringComparison.Ordinal) || l.StartsWith("milestone", StringComparison.Ordinal));
        Assert.Equal(JobStates.Pending, (await saga.LoadAsync(jobId)).CurrentState);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_failed_disk_row_write_keeps_the_job_row_and_is_retried_with_the_next_observation(DatabaseProvider provider)
    {
        var database = await fixture.FreshAsync(provider);
        await ExecuteAsync(database, provider == DatabaseProvider.Postgres
            ? "ALTER TABLE vm_disks ADD CONSTRAINT test_refused_label CHECK (label IS DISTINCT FROM 'refused')"
            : "CREATE TRIGGER test_refused_label BEFORE INSERT ON vm_disks WHEN NEW.label = 'refused' BEGIN SELECT RAISE(ABORT, 'refused label (test)'); END");
        await using var saga = await SagaOnDatabase.StartAsync(database);
        var jobId = TestJobs.NewJobId("disk-refused");
        await saga.StartJobAsync(jobId);

        var refused = Doc(jobId, ReplicationStage.Transfer, VmaJobStatus.Streaming, 30, T0.AddSeconds(5), label: "refused");
        await saga.ObserveAsync(refused, T0.AddSeconds(5));
        var job = await saga.LoadAsync(jobId);
        Assert.Equal(30m, job.ProgressPercent);
        Assert.Equal(JobStates.Streaming, job.CurrentState);
        Assert.Empty((await saga.RowsAsync(jobId)).Disks);
        Assert.Equal(1, saga.Metrics.DiskWriteFailures);
        Assert.Contains("stage/Stage Transfer (status streaming)", (await saga.RowsAsync(jobId)).Log);

        await saga.ObserveAsync(Doc(jobId, ReplicationStage.Transfer, VmaJobStatus.Streaming, 40, T0.AddSeconds(7)), T0.AddSeconds(7));
        var disks = (await saga.RowsAsync(jobId)).Disks;
        Assert.Equal(["disk-0/syncing/40.00/200", "disk-1/syncing/40.00/200"], disks);
        Assert.Equal(40m, (await saga.LoadAsync(jobId)).ProgressPercent);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Every_message_of_a_job_delivered_twice_in_order_or_shuffled_leaves_the_rows_of_one_delivery(DatabaseProvider provider)
    {
        await using var saga = await SagaOnDatabase.StartAsync(await fixture.SharedAsync(provider));
        var random = new Random(20261201);

        var once = await RunAsync(saga, "once", job => Messages(job));
        var twice = await RunAsync(saga, "twice", job => Messages(job).SelectMany(m => new[] { m, m }).ToList());
        Assert.Equal(once, twice);
        Assert.StartsWith("failed/", once.Job, StringComparison.Ordinal);
        Assert.Single(once.Log, l => l.StartsWith("poll-failed/", StringComparison.Ordinal));
        Assert.Equal(2, once.History.Count);

        // Shuffled (the start first: an observation of a job that does not exist yet is dropped, by design).
        var order = Enumerable.Range(0, Messages("x").Count - 1).SelectMany(i => new[] { i, i }).OrderBy(_ => random.Next()).ToList();
        var shuffledOnce = await RunAsync(saga, "shuffled-once", job => Shuffle(Messages(job), order.Distinct()));
        var shuffledTwice = await RunAsync(saga, "shuffled-twice", job => Shuffle(Messages(job), order));
        Assert.Equal(shuffledOnce, shuffledTwice);
        Assert.StartsWith("failed/", shuffledTwice.Job, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answered_poll_costs_at_most_one_postgres_commit()
    {
        // Idle pooled connections close within about two seconds: a backend reports its counts when it exits.
        var fresh = await fixture.FreshAsync(DatabaseProvider.Postgres);
        var database = new DatabaseOptions
        {
            Provider = DatabaseProvider.Postgres,
            ConnectionString = new NpgsqlConnectionStringBuilder(fresh.ConnectionString) { ConnectionIdleLifetime = 1, ConnectionPruningInterval = 1 }.ConnectionString,
        };
        await using var saga = await SagaOnDatabase.StartAsync(database);
        var jobId = TestJobs.NewJobId("commits");
        await saga.StartJobAsync(jobId);
        const int polls = 20;

        var before = await CommitsAsync(database);
        for (var i = 1; i <= polls; i++)
        {
            // Half move progress by 2 points (written, with both disks), half by 0.1 (throttled: nothing written).
            var percent = i % 2 == 0 ? i : i - 0.9;
            await saga.Harness.Bus.Publish(Observation(Doc(jobId, ReplicationStage.Transfer, VmaJobStatus.Streaming, percent, T0.AddSeconds(10 + i)), T0.AddSeconds(10 + i)));
        }

        await saga.WaitForAsync(jobId, j => j.ProgressPercent == polls);
        await saga.Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30));
        var commits = await CommitsAsync(database) - before;

        Assert.True(commits <= polls, $"{commits} commits for {polls} answered polls (before {before})");
        Assert.True(commits >= polls / 2, $"{commits} commits: the {polls / 2} written polls must have committed");
    }

    private static async Task<JobRows> RunAsync(SagaOnDatabase saga, string name, Func<string, List<object>> messages)
    {
        var jobId = TestJobs.NewJobId(name);
        foreach (var message in messages(jobId))
        {
            await saga.Harness.Bus.Publish(message);
        }

        await saga.WaitForAsync(jobId, j => StatusMapping.IsTerminal(j.Status));
        await saga.Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30));
        return await saga.RowsAsync(jobId);
    }

    private static List<object> Shuffle(List<object> messages, IEnumerable<int> order) =>
        [messages[0], .. order.Select(i => messages[i + 1])];

    /// <summary>A whole job: start, nine stages with a poll failure in the middle, and a VMA-reported failure at the end.</summary>
    private static List<object> Messages(string jobId)
    {
        var at = T0;
        var list = new List<object> { new StartReplication { JobId = jobId, VmaUrl = "https://vma.example:443", Vm = new VmReference { Name = "vm-uow" } } };
        (ReplicationStage Stage, VmaJobStatus Status, double Percent)[] steps =
        [
            (ReplicationStage.Discover, VmaJobStatus.Preparing, 0),
            (ReplicationStage.Snapshot, VmaJobStatus.Snapshotting, 0),
            (ReplicationStage.Transfer, VmaJobStatus.Streaming, 20),
            (ReplicationStage.Transfer, VmaJobStatus.Streaming, 55),
            (ReplicationStage.Transfer, VmaJobStatus.Streaming, 80),
            (ReplicationStage.Finalize, VmaJobStatus.Finalizing, 100),
            (ReplicationStage.PersistChangeIDs, VmaJobStatus.Failed, 100),
        ];
        foreach (var (stage, status, percent) in steps)
        {
            at = at.AddSeconds(3);
            if (stage == ReplicationStage.Transfer && percent == 55)
            {
                list.Add(new ProgressPollFailed { JobId = jobId, FailedAt = at.AddSeconds(-1), Reason = "connection refused (test)" });
            }

            list.Add(Observation(Doc(jobId, stage, status, percent, at, error: status == VmaJobStatus.Failed ? "target full (test)" : null), at));
        }

        return list;
    }

    private static ProgressObserved Observation(ReplicationProgress progress, DateTimeOffset at) =>
        new() { JobId = progress.JobId, Progress = progress, ObservedAt = at, RequestedAt = at };

    private static ReplicationProgress Doc(
        string jobId, ReplicationStage stage, VmaJobStatus status, double percent, DateTimeOffset updatedAt, string label = "Hard disk", string? error = null)
    {
        var diskStatus = status switch
        {
            VmaJobStatus.Failed => VmaDiskStatus.Failed,
            VmaJobStatus.Streaming or VmaJobStatus.Finalizing => VmaDiskStatus.Streaming,
            VmaJobStatus.Snapshotting => VmaDiskStatus.Snapshotting,
            _ => VmaDiskStatus.Queued,
        };
        return new ReplicationProgress
        {
            JobId = jobId,
            Stage = stage,
            Status = status,
            StartedAt = T0,
            UpdatedAt = updatedAt,
            CompletedAt = StatusMapping.IsTerminal(status) ? updatedAt : null,
            Error = error,
            Aggregate = new AggregateProgress { TotalBytes = 1000, BytesTransferred = (long)(10 * percent), Percent = percent, ThroughputBps = 100 },
            Disks = Enumerable.Range(0, 2).Select(i => new DiskProgress
            {
                Id = $"disk-{i}", Label = label, PlannedBytes = 500, BytesTransferred = (long)(5 * percent), Percent = percent, Status = diskStatus,
            }).ToList(),
        };
    }

    private static async Task ExecuteAsync(DatabaseOptions database, string sql)
    {
        await using var connection = await new DbConnectionFactory(database).OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Commits PostgreSQL counted in the database once no backend is connected to it: an idle backend may hold its
    /// counts back for ten seconds, an exiting one reports them.
    /// </summary>
    private static async Task<long> CommitsAsync(DatabaseOptions database)
    {
        NpgsqlConnection.ClearAllPools(); // the migration's connections
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        var reads = new List<long>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = @name), xact_commit FROM pg_stat_database WHERE datname = @name", connection);
                command.Parameters.AddWithValue("name", name);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                var backends = reader.GetInt64(0);
                reads.Add(reader.GetInt64(1));
                if (backends == 0 && reads.Count >= 2 && reads[^1] == reads[^2])
                {
                    return reads[^1];
                }
            }

            await Task.Delay(300);
        }

        throw new TimeoutException($"the commit count of {name} did not settle: {string.Join(", ", reads)}");
    }

    /// <summary>A job's rows in a comparable form (no ids, no timestamps).</summary>
    private sealed record JobRows(string Job, IReadOnlyList<string> Disks, IReadOnlyList<string> History, IReadOnlyList<string> Log)
    {
        public bool Equals(JobRows? other) =>
            other is not null && Job == other.Job && Disks.SequenceEqual(other.Disks) && History.SequenceEqual(other.History) && Log.SequenceEqual(other.Log);

        public override int GetHashCode() => Job.GetHashCode(StringComparison.Ordinal);

        public override string ToString() => $"{Job} | {string.Join(", ", Disks)} | {string.Join(", ", History)} | {string.Join(", ", Log)}";
    }

    /// <summary>The workers' saga, activities and repository under MassTransit's test harness on one database.</summary>
    private sealed class SagaOnDatabase : IAsyncDisposable
    {
        private readonly ServiceProvider services;

        private SagaOnDatabase(ServiceProvider services)
        {
            this.services = services;
            Harness = services.GetRequiredService<ITestHarness>();
            Metrics = services.GetRequiredService<PersistenceMetrics>();
        }

        public ITestHarness Harness { get; }

        public PersistenceMetrics Metrics { get; }

        public static async Task<SagaOnDatabase> StartAsync(DatabaseOptions database)
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(DatabaseServices.ConfigurationOf(database))
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    // Deterministic throttle: only progress, stage and status changes write.
                    ["Tracking:WriteMinInterval"] = "01:00:00",
                    ["Tracking:ContactTimeout"] = "01:00:00",
                })
                .Build();
            var collection = new ServiceCollection();
            collection.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
            collection.AddSingleton<IConfiguration>(configuration);
            collection.AddOmaWorkers(configuration);
            collection.AddMassTransitTestHarness(bus =>
            {
                bus.AddSagaStateMachine<ReplicationStateMachine, ReplicationState, ReplicationStateDefinition>().UseReplicationStateRepository();
                bus.AddDelayedMessageScheduler();
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.UseDelayedMessageScheduler();
                    cfg.ConfigureEndpoints(context);
                });
            });
            var saga = new SagaOnDatabase(collection.BuildServiceProvider(true));
            saga.Harness.TestTimeout = TimeSpan.FromSeconds(30);
            saga.Harness.TestInactivityTimeout = TimeSpan.FromMilliseconds(300);
            await saga.Harness.Start();
            return saga;
        }

        public async Task StartJobAsync(string jobId)
        {
            await Harness.Bus.Publish(new StartReplication { JobId = jobId, VmaUrl = "https://vma.example:443", Vm = new VmReference { Name = "vm-uow" } });
            await WaitForAsync(jobId, j => j.CurrentState == JobStates.Pending);
        }

        public async Task ObserveAsync(ReplicationProgress progress, DateTimeOffset at)
        {
            await Harness.Bus.Publish(Observation(progress, at));
            await WaitForAsync(jobId: progress.JobId, j => j.LastContactAt == at);
            await Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async Task WaitForFaultAsync(string jobId)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!Harness.Published.Select<Fault<ProgressObserved>>().Any(f => f.Context.Message.Message.JobId == jobId))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the observation of {jobId} never faulted");
                }

                await Task.Delay(25);
            }

            await Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async Task<ReplicationState> LoadAsync(string jobId)
        {
            await using var session = services.GetRequiredService<ReplicationStateRepository>().OpenSession();
            return (await session.LoadAsync(JobIdentity.ToCorrelationId(jobId), CancellationToken.None))
                ?? throw new InvalidOperationException($"job {jobId} has no row");
        }

        public async Task<ReplicationState> WaitForAsync(string jobId, Func<ReplicationState, bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                await using (var session = services.GetRequiredService<ReplicationStateRepository>().OpenSession())
                {
                    var job = await session.LoadAsync(JobIdentity.ToCorrelationId(jobId), CancellationToken.None);
                    if (job is not null && condition(job))
                    {
                        return job;
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        var faults = string.Join(" | ", Harness.Published.Select<Fault>().Select(f => string.Join("; ", f.Context.Message.Exceptions.Select(e => e.Message))));
                        throw new TimeoutException($"job {jobId} never reached the expected state; last {job?.CurrentState} {job?.ProgressPercent}; faults: {faults}");
                    }
                }

                await Task.Delay(25);
            }
        }

        public async Task<JobRows> RowsAsync(string jobId)
        {
            var queries = services.GetRequiredService<IJobQueries>();
            var job = await queries.GetJobAsync(jobId, CancellationToken.None);
            var disks = await queries.GetDisksAsync(jobId, CancellationToken.None);
            var history = await queries.GetCbtHistoryAsync(jobId, CancellationToken.None);
            var log = await queries.GetJobLogAsync(jobId, CancellationToken.None);
            return new JobRows(
                $"{job?.Status}/{job?.CurrentOperation}/{job?.ProgressPercent:0.00}/{job?.BytesTransferred}/{job?.ErrorMessage}/{job?.ConsecutivePollFailures}",
                disks.Select(d => $"{d.DiskId}/{d.SyncStatus}/{d.SyncProgressPercent:0.00}/{d.BytesSynced}").ToList(),
                history.OrderBy(h => h.DiskId, StringComparer.Ordinal).Select(h => $"{h.DiskId}/{h.ChangeId}/{h.SyncSuccess}/{h.BytesTransferred}").ToList(),
                log.Select(l => $"{l.EventKind}/{l.Message}").Order(StringComparer.Ordinal).ToList());
        }

        public async ValueTask DisposeAsync()
        {
            await Harness.Stop();
            await services.DisposeAsync();
        }
    }
}
