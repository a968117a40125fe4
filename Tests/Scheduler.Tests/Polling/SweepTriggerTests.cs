using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Migration.Scheduler.Polling;
using Migration.Tests.Scheduler.Support;
using Quartz;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>The sweep as Quartz runs it, on the embedded in-memory store.</summary>
public sealed class SweepTriggerTests
{
    [Fact]
    public async Task Sweep_trigger_repeats_forever_at_the_poll_interval_and_skips_missed_firings()
    {
        using var host = TestHosts.Build(Settings("00:00:03"), new FakeJobQueries());
        await host.StartAsync();

        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(CancellationToken.None);
        var trigger = Assert.IsAssignableFrom<ISimpleTrigger>(await scheduler.GetTrigger(PollSweepJob.TriggerKey, CancellationToken.None));
        var job = await scheduler.GetJobDetail(PollSweepJob.Key, CancellationToken.None);
        await host.StopAsync();

        Assert.Equal(TimeSpan.FromSeconds(3), trigger.RepeatInterval);
        Assert.Equal(-1, trigger.RepeatCount);
        Assert.Equal(SimpleTriggerMisfireInstruction.NextWithRemainingCount, trigger.MisfireInstruction);
        Assert.Equal(TimeSpan.FromSeconds(6), trigger.MisfireThreshold); // two intervals late is a missed sweep
        Assert.Equal(PollSweepJob.Key, trigger.JobKey);
        Assert.NotNull(job);
        Assert.True(job.ConcurrentExecutionDisallowed);
    }

    [Fact]
    public async Task Sweep_keeps_running_through_a_database_outage_and_polls_when_it_ends()
    {
        var queries = new FakeJobQueries { Failure = new TimeoutException("database unreachable") };
        queries.AddJob("job-outage", "https://vma-a:443", DateTimeOffset.UtcNow.AddMinutes(-1));
        var polls = new RecordedPolls();
        using var host = TestHosts.Build(
            Settings("00:00:00.300"), queries, bus => bus.AddConsumer<PollRecorder>(), services => services.AddSingleton(polls));
        await host.StartAsync();

        await WaitUntil(() => queries.CallCount >= 3, TimeSpan.FromSeconds(15));
        Assert.Empty(polls.Received);
        queries.Failure = null;

        await WaitUntil(() => polls.Received.Any(p => p.JobId == "job-outage"), TimeSpan.FromSeconds(15));
        await host.StopAsync();
    }

    static Dictionary<string, string?> Settings(string interval) => new() { ["Tracking:PollInterval"] = interval };

    static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(50);
        }
    }
}
