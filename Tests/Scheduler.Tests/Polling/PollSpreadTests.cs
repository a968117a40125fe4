using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Migration.Scheduler;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Scheduler.Polling;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>One sweep's polls spread over the interval by a stable hash of the job id, on a fake clock.</summary>
public sealed class PollSpreadTests
{
    static readonly DateTimeOffset Start = new(2025, 9, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_job_falls_in_the_same_slot_every_time_and_jobs_fill_every_slot()
    {
        var ids = Enumerable.Range(1, 1000).Select(i => $"job-{i}").ToList();

        var slots = ids.Select(id => PollSpread.Slot(id, 10)).ToList();

        Assert.Equal(slots, ids.Select(id => PollSpread.Slot(id, 10)));
        Assert.All(slots, slot => Assert.InRange(slot, 0, 9));
        // FNV-1a over 1,000 similar ids: every slot gets a fair share (100 expected each).
        Assert.All(slots.GroupBy(s => s), group => Assert.InRange(group.Count(), 60, 140));
        Assert.Equal(10, slots.Distinct().Count());
    }

    [Fact]
    public void The_slot_does_not_depend_on_the_process()
    {
        // Fixed values: string.GetHashCode would differ per process, and two scheduler nodes must agree.
        Assert.Equal(PollSpread.Slot("job-1", 1000), PollSpread.Slot(new string("job-1".ToCharArray()), 1000));
        Assert.Equal(0, PollSpread.Slot("anything", 1));
        Assert.Equal((int)(2166136261u % 7), PollSpread.Slot("", 7));
    }

    [Fact]
    public async Task Groups_come_at_their_offsets_over_the_window_and_cover_every_poll_once()
    {
        var clock = new FakeTimeProvider(Start);
        var tracking = new TrackingOptions { PollInterval = TimeSpan.FromSeconds(2), PollSpreadSlots = 4 };
        var polls = Enumerable.Range(1, 200).Select(i => new DuePoll($"job-{i}", "https://vma:443")).ToList();
        var spread = new PollSpread(tracking, clock);

        var seen = new List<(TimeSpan At, IReadOnlyList<DuePoll> Group)>();
        var enumerating = Task.Run(async () =>
        {
            await foreach (var group in spread.GroupsAsync(polls, CancellationToken.None))
            {
                lock (seen)
                {
                    seen.Add((clock.GetUtcNow() - Start, group));
                }
            }
        });
        // 1 s window (half of 2 s) in 4 slots: groups 250 ms apart. The fake clock moves 50 ms every 30 ms of real
        // time; offsets are read from the first group's arrival (the enumeration itself may start a step late), and a
        // group may be seen a few steps after it was due on a loaded machine, never before.
        for (var step = 0; step < 100 && !enumerating.IsCompleted; step++)
        {
            await Task.Delay(30);
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }

        await enumerating.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, seen.Count);
        Assert.Equal(polls.Select(p => p.JobId).Order(), seen.SelectMany(s => s.Group).Select(p => p.JobId).Order());
        for (var slot = 0; slot < 4; slot++)
        {
            var expected = TimeSpan.FromMilliseconds(250 * slot);
            Assert.InRange(seen[slot].At - seen[0].At, expected - TimeSpan.FromMilliseconds(50), expected + TimeSpan.FromMilliseconds(250));
            Assert.All(seen[slot].Group, poll => Assert.Equal(slot, PollSpread.Slot(poll.JobId, 4)));
        }
    }

    [Fact]
    public async Task A_zero_window_publishes_everything_at_once()
    {
        var clock = new FakeTimeProvider(Start);
        var tracking = new TrackingOptions { PollSpreadWindow = TimeSpan.Zero };
        var polls = Enumerable.Range(1, 50).Select(i => new DuePoll($"job-{i}", "https://vma:443")).ToList();

        var groups = new List<IReadOnlyList<DuePoll>>();
        await foreach (var group in new PollSpread(tracking, clock).GroupsAsync(polls, CancellationToken.None))
        {
            groups.Add(group);
        }

        Assert.Equal(50, Assert.Single(groups).Count);
    }

    [Fact]
    public async Task Cancelled_midway_the_groups_not_yet_due_are_not_given_out()
    {
        var clock = new FakeTimeProvider(Start);
        var tracking = new TrackingOptions { PollInterval = TimeSpan.FromSeconds(2), PollSpreadSlots = 4 };
        var polls = Enumerable.Range(1, 200).Select(i => new DuePoll($"job-{i}", "https://vma:443")).ToList();
        using var cancel = new CancellationTokenSource();

        var given = 0;
        var enumerating = Task.Run(async () =>
        {
            await foreach (var group in new PollSpread(tracking, clock).GroupsAsync(polls, cancel.Token))
            {
                Interlocked.Add(ref given, group.Count);
                await cancel.CancelAsync();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => enumerating.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(given, 1, 199);
    }

    [Theory]
    [InlineData("00:00:02")]
    [InlineData("00:00:05")]
    public void A_spread_window_not_shorter_than_the_interval_is_refused_at_start_up(string window)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:PollInterval"] = "00:00:02",
            ["Tracking:PollSpreadWindow"] = window,
        }).Build();
        using var provider = new ServiceCollection().AddPollScheduler(configuration).BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TrackingOptions>>().Value);

        Assert.Contains("Tracking:PollSpreadWindow", refused.Message, StringComparison.Ordinal);
    }
}
