using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Scheduler;
using Migration.Scheduler.Polling;

namespace Migration.Tests.Scheduler.Polling;

/// <summary><c>Tracking:PollBatchSize</c>: a sweep's due polls go out per VMA in batches, each batch within one spread slot.</summary>
public sealed class PollBatchingTests
{
    static readonly DateTimeOffset Start = new(2025, 9, 4, 12, 0, 0, TimeSpan.Zero);

    static List<DuePoll> Due(string vmaUrl, int count, string prefix) =>
        [.. Enumerable.Range(1, count).Select(i => new DuePoll($"{prefix}-{i}", vmaUrl))];

    [Fact]
    public void Polls_are_grouped_per_VMA_into_batches_of_at_most_the_batch_size()
    {
        var due = Due("https://vma-a:443", 7, "a").Concat(Due("https://vma-b:443", 3, "b")).Concat(Due("https://vma-c:443", 1, "c")).ToList();

        var messages = PollMessages.Of(due, batchSize: 3, Start, Start.AddSeconds(1.8));

        Assert.Equal([3, 3, 3], messages.Batches.Select(b => b.JobIds.Count));
        Assert.Equal(["https://vma-a:443", "https://vma-a:443", "https://vma-b:443"], messages.Batches.Select(b => b.VmaUrl));
        Assert.All(messages.Batches, b => Assert.All(b.JobIds, id => Assert.Equal(b.VmaUrl, due.Single(d => d.JobId == id).VmaUrl)));
        // A VMA's last job alone, and a VMA with one due job, go out as plain polls: one GET is the cheaper request.
        Assert.Equal(["a-7", "c-1"], messages.Polls.Select(p => p.JobId));
        Assert.Equal(due.Select(p => p.JobId).Order(), messages.Batches.SelectMany(b => b.JobIds).Concat(messages.Polls.Select(p => p.JobId)).Order());
        Assert.All(messages.Batches, b => Assert.Equal((Start, Start.AddSeconds(1.8)), (b.RequestedAt, b.ClaimedUntil)));
        Assert.All(messages.Polls, p => Assert.Equal((Start, Start.AddSeconds(1.8)), (p.RequestedAt, p.ClaimedUntil)));
    }

    [Fact]
    public void A_batch_size_of_one_is_one_poll_per_job_as_before()
    {
        var due = Due("https://vma-a:443", 5, "a");

        var messages = PollMessages.Of(due, batchSize: 1, Start, claimedUntil: null);

        Assert.Empty(messages.Batches);
        Assert.Equal(due.Select(p => p.JobId), messages.Polls.Select(p => p.JobId));
    }

    [Fact]
    public async Task Each_batch_lies_within_one_spread_slot_and_every_due_job_is_asked_once()
    {
        var clock = new FakeTimeProvider(Start);
        var tracking = new TrackingOptions { PollInterval = TimeSpan.FromSeconds(2), PollSpreadSlots = 4, PollBatchSize = 10 };
        var due = Due("https://vma-a:443", 60, "a").Concat(Due("https://vma-b:443", 40, "b")).ToList();
        await using var provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var recent = new RecentPolls(Options.Create(tracking), clock);

        var publishing = Task.Run(() => recent.PublishAdmittedAsync(harness.Bus, due, Start, Start, Start.AddSeconds(1.8), CancellationToken.None));
        for (var step = 0; step < 100 && !publishing.IsCompleted; step++)
        {
            await Task.Delay(30);
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }

        await publishing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await harness.Published.Any<PollProgressBatch>());
        var batches = harness.Published.Select<PollProgressBatch>().Select(m => m.Context.Message).ToList();
        var polls = harness.Published.Select<PollProgress>().Select(m => m.Context.Message).ToList();
        Assert.All(batches, b => Assert.InRange(b.JobIds.Count, 2, 10));
        Assert.All(batches, b => Assert.Single(b.JobIds.Select(id => PollSpread.Slot(id, 4)).Distinct()));
        Assert.All(batches, b => Assert.All(b.JobIds, id => Assert.Equal(due.Single(d => d.JobId == id).VmaUrl, b.VmaUrl)));
        Assert.Equal(due.Select(d => d.JobId).Order(), batches.SelectMany(b => b.JobIds).Concat(polls.Select(p => p.JobId)).Order());
        Assert.InRange(batches.Count, 10, 20); // 100 jobs of 2 VMAs in 4 slots, up to 10 a batch
        Assert.Equal(100, recent.Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("201")]
    [InlineData("-5")]
    public void A_batch_size_outside_1_to_200_is_refused_at_start_up(string size)
    {
        using var provider = Scheduler(size);

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TrackingOptions>>().Value);

        Assert.Contains("Tracking:PollBatchSize must be from 1", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("200")]
    public void A_batch_size_from_1_to_200_is_taken(string size)
    {
        using var provider = Scheduler(size);

        Assert.Equal(int.Parse(size, System.Globalization.CultureInfo.InvariantCulture), provider.GetRequiredService<IOptions<TrackingOptions>>().Value.PollBatchSize);
    }

    [Fact]
    public void Batching_is_off_by_default()
    {
        Assert.Equal(1, new TrackingOptions().PollBatchSize);
    }

    static ServiceProvider Scheduler(string batchSize) =>
        new ServiceCollection().AddPollScheduler(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:PollBatchSize"] = batchSize,
        }).Build()).BuildServiceProvider();
}
