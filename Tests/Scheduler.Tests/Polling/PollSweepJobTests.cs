using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Scheduler.Polling;
using Migration.Tests.Scheduler.Support;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>One sweep at a time, on a fake clock, publishing through MassTransit's test harness.</summary>
public sealed class PollSweepJobTests : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2025, 9, 4, 12, 0, 0, TimeSpan.Zero);

    readonly FakeTimeProvider _clock = new(Start);
    readonly FakeJobQueries _queries = new();
    readonly TrackingOptions _tracking = new() { PollInterval = TimeSpan.FromSeconds(2), SweepBatchSize = 50, PollSpreadWindow = TimeSpan.Zero };
    readonly ServiceProvider _provider;
    readonly RecentPolls _recent;
    readonly KnownActiveJobs _known = new();

    public PollSweepJobTests()
    {
        _provider = new ServiceCollection()
            .AddSingleton<Migration.Oma.Persistence.IJobQueries>(_queries)
            .AddMassTransitTestHarness()
            .BuildServiceProvider(true);
        _recent = new RecentPolls(Options.Create(_tracking), _clock);
    }

    ITestHarness Harness => _provider.GetRequiredService<ITestHarness>();

    public Task InitializeAsync() => Harness.Start();

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task Sweep_publishes_one_poll_for_each_due_job_and_none_for_the_rest()
    {
        _queries.AddJob("job-overdue", "https://vma-a:443", Start.AddSeconds(-5));
        _queries.AddJob("job-due-now", "https://vma-b:443", Start);
        _queries.AddJob("job-later", "https://vma-a:443", Start.AddSeconds(1.5));

        var published = await Sweep();

        Assert.Equal(2, published);
        var polls = await PublishedPolls(2);
        Assert.Equal(["job-due-now", "job-overdue"], polls.Select(p => p.JobId).Order());
        Assert.Contains(polls, p => p is { JobId: "job-overdue", VmaUrl: "https://vma-a:443" });
        Assert.Contains(polls, p => p is { JobId: "job-due-now", VmaUrl: "https://vma-b:443" });
        Assert.All(polls, p => Assert.Equal(Start, p.RequestedAt));
        Assert.All(polls, p => Assert.Equal(JobIdentity.ToCorrelationId(p.JobId), p.CorrelationId));
        Assert.Equal((Start.AddSeconds(1), 50), Assert.Single(_queries.Calls));
    }

    [Fact]
    public async Task A_job_answered_just_after_a_sweep_is_polled_by_the_next_sweep_not_the_one_after()
    {
        // Polled by the sweep at Start, answered 300 ms later: due at Start + 2.3 s.
        _queries.AddJob("job-1", "https://vma-a:443", Start.AddSeconds(2.3));
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(1, await Sweep());
    }

    [Fact]
    public async Task Sweep_with_nothing_due_publishes_nothing()
    {
        _queries.AddJob("job-later", "https://vma-a:443", Start.AddMinutes(1));

        Assert.Equal(0, await Sweep());
        Assert.Empty(Harness.Published.Select<PollProgress>());
    }

    [Fact]
    public async Task A_sweep_holds_back_jobs_due_for_three_intervals_until_five_intervals_after_their_last_poll_began()
    {
        await Sweep();
        _tracking.BehindAfter = TimeSpan.FromSeconds(20);
        _tracking.BehindPollInterval = TimeSpan.FromSeconds(30);
        await Sweep();
        _tracking.BehindPollInterval = _tracking.PollInterval;
        await Sweep();

        // A claim ends 1.8 s after its sweep: ended 8.2 s ago is a poll begun 10 s ago.
        Assert.Equal(new BehindHold(Start.AddSeconds(-6), Start - TimeSpan.FromMilliseconds(8200)), _queries.Holds[0]);
        Assert.Equal(new BehindHold(Start.AddSeconds(-20), Start - TimeSpan.FromMilliseconds(28200)), _queries.Holds[1]);
        Assert.Equal(Start, _queries.Holds[2].LastClaimEndedBy); // no longer than the interval: nothing held back
    }

    [Fact]
    public async Task A_job_is_not_polled_twice_within_one_interval_even_when_sweeps_run_early()
    {
        _queries.AddJob("job-1", "https://vma-a:443", Start);

        Assert.Equal(1, await Sweep());
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(0, await Sweep());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Sweep());
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1, await Sweep());

        var polls = await PublishedPolls(2);
        Assert.Equal([Start, Start.AddSeconds(2)], polls.Select(p => p.RequestedAt).Order());
    }

    [Fact]
    public async Task A_sweep_slightly_early_by_scheduler_jitter_still_polls()
    {
        _queries.AddJob("job-1", "https://vma-a:443", Start);

        Assert.Equal(1, await Sweep());
        _clock.Advance(TimeSpan.FromSeconds(1.95));
        Assert.Equal(1, await Sweep());
    }

    [Fact]
    public async Task Remembered_polls_are_forgotten_after_two_intervals()
    {
        _queries.AddJob("job-1", "https://vma-a:443", Start);
        await Sweep();
        Assert.Equal(1, _recent.Count);

        _queries.AddJob("job-1", "https://vma-a:443", Start.AddHours(1));
        _clock.Advance(TimeSpan.FromSeconds(4.5));
        await Sweep();

        Assert.Equal(0, _recent.Count);
    }

    [Fact]
    public async Task A_failed_query_publishes_nothing_and_the_next_sweep_publishes()
    {
        _queries.AddJob("job-1", "https://vma-a:443", Start);
        _queries.Failure = new TimeoutException("database unreachable");

        await Assert.ThrowsAsync<TimeoutException>(Sweep);
        Assert.Empty(Harness.Published.Select<PollProgress>());

        _queries.Failure = null;
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Sweep());
    }

    [Fact]
    public async Task While_the_database_is_down_the_jobs_last_seen_active_are_still_polled()
    {
        _queries.AddJob("job-1", "https://vma-a:443", Start);
        _queries.AddJob("job-2", "https://vma-b:443", Start);
        Assert.Equal(2, await Sweep());
        var outage = new OutagePolling(
            _provider.GetRequiredService<IServiceScopeFactory>(), _known, _recent, _clock, Options.Create(_tracking),
            NullLogger<OutagePolling>.Instance);

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await outage.TickAsync(CancellationToken.None)); // the database answers: the sweep's job

        _queries.Failure = new TimeoutException("database unreachable");
        Assert.Equal(2, await outage.TickAsync(CancellationToken.None));
        Assert.Equal(0, await outage.TickAsync(CancellationToken.None)); // not twice within one interval
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, await outage.TickAsync(CancellationToken.None));

        _clock.Advance(_tracking.ContactTimeout);
        Assert.Equal(0, await outage.TickAsync(CancellationToken.None)); // not seen for the contact timeout: dropped
        var polls = Harness.Published.Select<PollProgress>().Select(m => m.Context.Message.JobId).ToList();
        Assert.Equal(6, polls.Count);
    }

    async Task<int> Sweep()
    {
        using var scope = _provider.CreateScope();
        var job = new PollSweepJob(
            _queries,
            scope.ServiceProvider.GetRequiredService<IPublishEndpoint>(),
            _recent,
            new ContactTimeoutSweep(Options.Create(_tracking), NullLogger<ContactTimeoutSweep>.Instance),
            _known,
            _clock,
            Options.Create(_tracking),
            NullLogger<PollSweepJob>.Instance);
        return await job.SweepAsync(CancellationToken.None);
    }

    async Task<List<PollProgress>> PublishedPolls(int expected)
    {
        Assert.True(await Harness.Published.Any<PollProgress>());
        var polls = Harness.Published.Select<PollProgress>().Select(m => m.Context.Message).ToList();
        Assert.Equal(expected, polls.Count);
        return polls;
    }
}
