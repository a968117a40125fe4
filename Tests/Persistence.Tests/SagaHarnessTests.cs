using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.OmaWorkers.Saga;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

/// <summary>The repository under MassTransit's own saga pipeline: concurrency, retries and failed behaviours.</summary>
[Collection(DatabaseCollection.Name)]
public sealed class SagaHarnessTests(TestDatabases fixture)
{
    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Fifty_concurrent_messages_for_one_job_lose_no_update(DatabaseProvider provider)
    {
        await using var services = HarnessServices(await fixture.SharedAsync(provider));
        var harness = services.GetRequiredService<ITestHarness>();
        var metrics = services.GetRequiredService<PersistenceMetrics>();
        var jobId = TestJobs.NewJobId("counted");
        var correlationId = JobIdentity.ToCorrelationId(jobId);
        await harness.Start();
        try
        {
            await Task.WhenAll(Enumerable.Range(1, 50).Select(value =>
                harness.Bus.Publish(new AddBytes { CorrelationId = correlationId, JobId = jobId, Value = value })));

            var state = await WaitForAsync(services, correlationId, s => s.BytesTransferred == 1275, TimeSpan.FromSeconds(60));

            Assert.Equal(1275, state?.BytesTransferred);
            Assert.False(await harness.Published.Any<Fault<AddBytes>>());
            Assert.True(metrics.ConcurrencyConflicts > 0, "50 concurrent messages for one job should have collided at least once");
            Assert.Equal(1, metrics.JobInserts);
            Assert.Equal(49, metrics.JobUpdates);
            Assert.Equal(49, state!.Version);
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_behaviour_that_throws_creates_no_job_row(DatabaseProvider provider)
    {
        await using var services = HarnessServices(await fixture.SharedAsync(provider));
        var harness = services.GetRequiredService<ITestHarness>();
        var jobId = TestJobs.NewJobId("refused");
        var correlationId = JobIdentity.ToCorrelationId(jobId);
        await harness.Start();
        try
        {
            await harness.Bus.Publish(new AddBytes { CorrelationId = correlationId, JobId = jobId, Value = -1 });

            Assert.True(await harness.Published.Any<Fault<AddBytes>>(f => f.Context.Message.Message.CorrelationId == correlationId));
            await using var session = services.GetRequiredService<ReplicationStateRepository>().OpenSession();
            Assert.Null(await session.LoadAsync(correlationId, CancellationToken.None));
            Assert.Equal(0, services.GetRequiredService<PersistenceMetrics>().JobInserts);
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_message_that_changes_nothing_writes_nothing(DatabaseProvider provider)
    {
        await using var services = HarnessServices(await fixture.SharedAsync(provider));
        var harness = services.GetRequiredService<ITestHarness>();
        var metrics = services.GetRequiredService<PersistenceMetrics>();
        var jobId = TestJobs.NewJobId("idle");
        var correlationId = JobIdentity.ToCorrelationId(jobId);
        await harness.Start();
        try
        {
            await harness.Bus.Publish(new AddBytes { CorrelationId = correlationId, JobId = jobId, Value = 7 });
            await WaitForAsync(services, correlationId, s => s.BytesTransferred == 7, TimeSpan.FromSeconds(30));
            await harness.Bus.Publish(new AddBytes { CorrelationId = correlationId, JobId = jobId, Value = 0 });
            Assert.True(await harness.Consumed.Any<AddBytes>(m => m.Context.Message.Value == 0));
            await harness.InactivityTask;

            Assert.Equal(1, metrics.SkippedUpdates);
            Assert.Equal(0, metrics.JobUpdates);
            Assert.Equal(0, (await WaitForAsync(services, correlationId, _ => true, TimeSpan.FromSeconds(5)))!.Version);
        }
        finally
        {
            await harness.Stop();
        }
    }

    private static ServiceProvider HarnessServices(DatabaseOptions options) =>
        DatabaseServices.Services(options, services => services.AddMassTransitTestHarness(bus =>
        {
            bus.AddSagaStateMachine<CountingStateMachine, ReplicationState>((context, saga) =>
                {
                    saga.UseMessageRetry(r =>
                    {
                        r.Handle(ReplicationStateRepository.ConcurrencyExceptionType);
                        r.Immediate(200);
                    });
                    saga.UseInMemoryOutbox(context);
                })
                .UseReplicationStateRepository()
                .Endpoint(e => e.ConcurrentMessageLimit = 16);
        }));

    private static async Task<ReplicationState?> WaitForAsync(
        IServiceProvider services, Guid correlationId, Func<ReplicationState, bool> condition, TimeSpan timeout)
    {
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        using var deadline = new CancellationTokenSource(timeout);
        ReplicationState? state = null;
        while (!deadline.IsCancellationRequested)
        {
            await using (var session = repository.OpenSession())
            {
                state = await session.LoadAsync(correlationId, CancellationToken.None);
            }

            if (state is not null && condition(state))
            {
                return state;
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return state;
    }
}
