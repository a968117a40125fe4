using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;
using Migration.OmaWorkers.SagaRepository;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

[Collection(DatabaseCollection.Name)]
public sealed class ReplicationStateRepositoryTests(TestDatabases fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Inserted_instance_loads_back_with_every_property(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var state = TestJobs.NewState(TestJobs.NewJobId(), "vm-äöü-01", StatusMapping.Streaming);
        state.CurrentState = JobStates.Snapshotting;
        state.CurrentOperation = "Transfer";
        state.ProgressPercent = 12.34m;
        state.BytesTransferred = 5_000_000_000;
        state.TotalBytes = 40_000_000_000;
        state.TransferSpeedBps = 123_456_789;
        state.ErrorMessage = "none yet";
        state.VmRefKind = "moref";
        state.RequestedSyncType = "auto";
        state.SyncType = "incremental";
        state.TargetJson = """{"disks":{"disk-0":{"uri":"nbd://10.0.0.5:10809/job-1-disk-0"}}}""";
        state.PreviousChangeIdsJson = """{"disk-0":"52 a1/10"}""";
        state.StartedAt = TestJobs.Now.AddSeconds(1);
        state.CompletedAt = TestJobs.Now.AddSeconds(2);
        state.LastContactAt = TestJobs.Now.AddSeconds(3);
        state.LastVmaUpdateAt = TestJobs.Now.AddSeconds(4);
        state.NextPollAt = TestJobs.Now.AddSeconds(5);
        state.ConsecutivePollFailures = 2;
        state.ContactTimeoutTokenId = Guid.NewGuid();

        await TestJobs.InsertAsync(repository, state);
        await using var session = repository.OpenSession();
        var loaded = await session.LoadAsync(state.CorrelationId, None);

        Assert.NotNull(loaded);
        Assert.Equal(ReplicationStateColumns.Capture(state), ReplicationStateColumns.Capture(loaded));
        Assert.Equal(1, services.GetRequiredService<PersistenceMetrics>().JobInserts);
        Assert.Null(await session.LoadAsync(Guid.NewGuid(), None));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Update_writes_the_changes_and_moves_the_version_on(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var state = await TestJobs.InsertAsync(repository, TestJobs.NewState(TestJobs.NewJobId()));

        await using (var session = repository.OpenSession())
        {
            var loaded = (await session.LoadAsync(state.CorrelationId, None))!;
            loaded.CurrentState = JobStates.Streaming;
            loaded.BytesTransferred = 4096;
            loaded.NextPollAt = TestJobs.Now.AddSeconds(2);
            Assert.True(await session.UpdateAsync(loaded, None));
            Assert.Equal(1, loaded.Version);

            loaded.BytesTransferred = 8192;
            Assert.True(await session.UpdateAsync(loaded, None));
        }

        var reloaded = await LoadAsync(repository, state.CorrelationId);
        Assert.Equal(2, reloaded.Version);
        Assert.Equal(StatusMapping.Streaming, reloaded.Status);
        Assert.Equal(8192, reloaded.BytesTransferred);
        Assert.Equal(TestJobs.Now.AddSeconds(2), reloaded.NextPollAt);
        Assert.Equal(2, services.GetRequiredService<PersistenceMetrics>().JobUpdates);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Unchanged_instance_issues_no_update(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var metrics = services.GetRequiredService<PersistenceMetrics>();
        var state = await TestJobs.InsertAsync(repository, TestJobs.NewState(TestJobs.NewJobId()));

        await using (var session = repository.OpenSession())
        {
            var loaded = (await session.LoadAsync(state.CorrelationId, None))!;
            loaded.BytesTransferred = 0; // assigning the same value is no change
            Assert.False(await session.UpdateAsync(loaded, None));
        }

        Assert.Equal(1, metrics.SkippedUpdates);
        Assert.Equal(0, metrics.JobUpdates);
        Assert.Equal(0, (await LoadAsync(repository, state.CorrelationId)).Version);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Of_two_concurrent_updates_one_wins_and_the_other_gets_a_concurrency_exception(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var state = await TestJobs.InsertAsync(repository, TestJobs.NewState(TestJobs.NewJobId()));
        await using var first = repository.OpenSession();
        await using var second = repository.OpenSession();
        var one = (await first.LoadAsync(state.CorrelationId, None))!;
        var two = (await second.LoadAsync(state.CorrelationId, None))!;

        one.BytesTransferred = 100;
        two.BytesTransferred = 200;
        await first.UpdateAsync(one, None);
        var conflict = await Assert.ThrowsAsync<ConcurrencyException>(() => second.UpdateAsync(two, None));

        Assert.Equal(ReplicationStateRepository.ConcurrencyExceptionType, conflict.GetType());
        Assert.Equal(state.CorrelationId, conflict.CorrelationId);
        var stored = await LoadAsync(repository, state.CorrelationId);
        Assert.Equal(100, stored.BytesTransferred);
        Assert.Equal(1, stored.Version);
        Assert.Equal(1, services.GetRequiredService<PersistenceMetrics>().ConcurrencyConflicts);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_second_insert_of_the_same_job_is_a_concurrency_conflict_and_writes_nothing(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var jobId = TestJobs.NewJobId();
        await TestJobs.InsertAsync(repository, TestJobs.NewState(jobId));
        var duplicate = TestJobs.NewState(jobId, vmName: "someone-else");

        await using var session = repository.OpenSession();
        await Assert.ThrowsAsync<ConcurrencyException>(() => session.InsertAsync(duplicate, None));
        Assert.False(await session.TryInsertAsync(duplicate, None));

        Assert.Equal("vm-web-01", (await LoadAsync(repository, duplicate.CorrelationId)).VmName);
        Assert.Equal(1, services.GetRequiredService<PersistenceMetrics>().JobInserts);
    }

    private static async Task<OmaWorkers.Saga.ReplicationState> LoadAsync(ReplicationStateRepository repository, Guid correlationId)
    {
        await using var session = repository.OpenSession();
        return await session.LoadAsync(correlationId, None) ?? throw new InvalidOperationException("row missing");
    }
}
