using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Migration.Tests.Scheduler.Support;
using Quartz;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>Two Scheduler replicas on one PostgreSQL store form one Quartz cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusteredSweepTests(PostgresDatabase database)
{
    [Fact]
    public async Task Two_clustered_schedulers_run_the_sweep_on_one_node_at_a_time()
    {
        var schedulerName = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        // One fake behind both nodes counts every sweep in the cluster. Each sweep takes a while, so two nodes
        // sweeping at the same moment would show as overlap.
        var queries = new FakeJobQueries { QueryDuration = TimeSpan.FromMilliseconds(300) };
        using var nodeA = TestHosts.Build(TestHosts.Postgres(database.ConnectionString, schedulerName), queries);
        using var nodeB = TestHosts.Build(TestHosts.Postgres(database.ConnectionString, schedulerName), queries);
        await nodeA.StartAsync();
        await nodeB.StartAsync();

        var a = await Metadata(nodeA);
        var b = await Metadata(nodeB);
        Assert.True(a.JobStoreClustered);
        Assert.True(b.JobStoreClustered);
        Assert.Equal(schedulerName, a.SchedulerName);
        Assert.NotEqual(a.SchedulerInstanceId, b.SchedulerInstanceId);

        var before = queries.CallCount;
        await Task.Delay(TimeSpan.FromSeconds(6));
        var sweeps = queries.CallCount - before;
        await nodeB.StopAsync();
        await nodeA.StopAsync();

        // About one sweep per second across the cluster: about 6, where two independent schedulers would make 12.
        Assert.InRange(sweeps, 4, 8);
        Assert.Equal(1, queries.MaxConcurrentCalls);
    }

    static async Task<SchedulerMetadata> Metadata(IHost host)
    {
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(CancellationToken.None);
        return await scheduler.GetMetadata(CancellationToken.None);
    }
}
