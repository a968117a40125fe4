using System.Net;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts;
using Migration.Oma.Persistence;
using Migration.OmaWorkers;
using Migration.OmaWorkers.Consumers;

namespace Migration.Tests.OmaWorkers;

/// <summary>
/// The batch poll consumer against a scripted VMA, on a fake clock: one request per batch, each job's answer reported
/// as its own event, an older VMA polled job by job for a while, and a hostile answer a failed poll of every job — never
/// a faulted consumer.
/// </summary>
public sealed class BatchedPollTests : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    readonly FakeTimeProvider _clock = new(Start);
    readonly ScriptedVma _vma;
    readonly ServiceProvider _provider;

    public BatchedPollTests()
    {
        _vma = new ScriptedVma(_clock);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VmaClient:MaxRetryAttempts"] = "0",
            ["VmaClient:MaxBatchAnswerBytes"] = "65536",
            ["VmaClient:BatchlessRecheckAfter"] = "00:10:00",
        }).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<TimeProvider>(_clock)
            .AddOmaWorkers(configuration);
        services.AddHttpClient<global::Migration.OmaWorkers.Vma.VmaClient>().ConfigurePrimaryHttpMessageHandler(() => _vma);
        services.RemoveAll<IPollSweepStore>();
        services.AddSingleton<IPollSweepStore, UnusedClaims>();
        _provider = services
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<PollProgressBatchConsumer>();
                bus.AddConsumer<PollProgressConsumer>();
            })
            .BuildServiceProvider(true);
    }

    ITestHarness Harness => _provider.GetRequiredService<ITestHarness>();

    public Task InitializeAsync() => Harness.Start();

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task A_batch_is_one_request_and_each_job_found_is_observed()
    {
        Known("job-1", "job-2", "job-3");

        var (observed, failed) = await PollAsync("job-1", "job-2", "job-3");

        Assert.Equal(["job-1", "job-2", "job-3"], observed.Select(o => o.JobId).Order());
        Assert.Empty(failed);
        Assert.All(observed, o => Assert.Equal((Start, Start), (o.RequestedAt, o.ObservedAt)));
        Assert.Equal(300, observed.Single(o => o.JobId == "job-3").Progress.Aggregate.BytesTransferred);
        Assert.Equal(["POST /api/v1/progress/batch"], _vma.Requests);
    }

    [Fact]
    public async Task A_job_the_VMA_does_not_know_fails_alone_as_unknown_to_the_VMA()
    {
        Known("job-1", "job-3");

        var (observed, failed) = await PollAsync("job-1", "job-2", "job-3");

        Assert.Equal(["job-1", "job-3"], observed.Select(o => o.JobId).Order());
        var unknown = Assert.Single(failed);
        Assert.Equal(("job-2", true, 404), (unknown.JobId, unknown.JobUnknownToVma, unknown.HttpStatus));
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.MethodNotAllowed)]
    public async Task A_VMA_without_the_batch_endpoint_is_polled_job_by_job_until_the_recheck_is_due(HttpStatusCode answer)
    {
        Known("job-1", "job-2");
        _vma.BatchRouteStatus = answer;

        var first = await PollAsync("job-1", "job-2");
        var second = await PollAsync("job-1", "job-2");

        Assert.Equal(2, first.Observed.Count);
        Assert.Equal(2, second.Observed.Count);
        Assert.Equal(1, _vma.BatchRequests); // the second batch went straight to GETs
        Assert.Equal(4, _vma.SingleRequests);

        _clock.Advance(TimeSpan.FromMinutes(10));
        _vma.BatchRouteStatus = null; // upgraded meanwhile
        var third = await PollAsync("job-1", "job-2");

        Assert.Equal(2, third.Observed.Count);
        Assert.Equal(2, _vma.BatchRequests);
        Assert.Equal(4, _vma.SingleRequests);
    }

    [Fact]
    public async Task An_answer_over_the_batch_limit_fails_every_job_of_the_batch()
    {
        Known("job-1", "job-2");
        _vma.BatchBody = asked => _vma.BatchAnswer(asked).Replace("{\"results\":", $"{{\"padding\":\"{new string('x', 70_000)}\",\"results\":", StringComparison.Ordinal);

        var (observed, failed) = await PollAsync("job-1", "job-2");

        Assert.Empty(observed);
        Assert.Equal(["job-1", "job-2"], failed.Select(f => f.JobId).Order());
        Assert.All(failed, f => Assert.Contains("longer than 65536 bytes", f.Reason, StringComparison.Ordinal));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "not JSON", "<html>proxy error</html>" },
        { "results not a list", """{"results":5}""" },
        { "no results", """{"jobs":[]}""" },
        { "results twice", """{"results":[],"results":[]}""" },
        { "an entry without a status", """{"results":[{"job_id":"job-1","progress":{}}]}""" },
        { "a found entry without its document", """{"results":[{"job_id":"job-1","status":200}]}""" },
        { "a status that is no HTTP status", """{"results":[{"job_id":"job-1","status":7}]}""" },
        { "a status that is a string", """{"results":[{"job_id":"job-1","status":"404"}]}""" },
        { "a status that is a fraction", """{"results":[{"job_id":"job-1","status":404.5}]}""" },
        { "a job id that is a number", """{"results":[{"job_id":1,"status":404}]}""" },
        { "a document that is a string", """{"results":[{"job_id":"job-1","status":200,"progress":"{}"}]}""" },
        { "an entry with two job ids", """{"results":[{"job_id":"job-1","job_id":"job-2","status":404}]}""" },
        { "cut off", """{"results":[{"job_id":"job-1","status":404}""" },
        { "trailing junk", """{"results":[]} {}""" },
        { "too deep", "{\"results\":[" + new string('[', 64) + new string(']', 64) + "]}" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_answer_fails_every_job_of_the_batch_and_faults_nothing(string condition, string body)
    {
        Known("job-1", "job-2");
        _vma.BatchBody = _ => body;

        var (observed, failed) = await PollAsync("job-1", "job-2");

        Assert.True(observed.Count == 0, condition);
        Assert.Equal(["job-1", "job-2"], failed.Select(f => f.JobId).Order());
        Assert.All(failed, f => Assert.Contains("unreadable batch answer", f.Reason, StringComparison.Ordinal));
        Assert.False(Harness.Published.Select<Fault<PollProgressBatch>>().Any(), condition);
    }

    [Fact]
    public async Task Entries_not_asked_for_or_listed_twice_are_ignored_and_a_job_left_out_fails()
    {
        Known("job-1", "job-2", "job-3", "intruder");
        _vma.BatchBody = _ => ScriptedVma.Results(
            _vma.EntryOf("job-1"), _vma.EntryOf("intruder"), _vma.EntryOf("job-2"), ScriptedVma.Found("job-1", _vma.Document("job-1", 90)));

        var (observed, failed) = await PollAsync("job-1", "job-2", "job-3");

        Assert.Equal(["job-1", "job-2"], observed.Select(o => o.JobId).Order());
        Assert.Equal(100, observed.Single(o => o.JobId == "job-1").Progress.Aggregate.BytesTransferred); // the first entry, not the second
        var missing = Assert.Single(failed);
        Assert.Equal("job-3", missing.JobId);
        Assert.Contains("left this job out", missing.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_document_is_checked_as_a_single_polls_answer_is()
    {
        Known("job-1", "job-2");
        // job-2's entry carries a document about another job, job-1's one with more bytes than planned.
        _vma.BatchBody = _ => ScriptedVma.Results(
            ScriptedVma.Found("job-1", _vma.Document("job-1", 10).Replace("\"bytes_transferred\":100", "\"bytes_transferred\":5000", StringComparison.Ordinal)),
            ScriptedVma.Found("job-2", _vma.Document("job-9", 20)));

        var (observed, failed) = await PollAsync("job-1", "job-2");

        Assert.Empty(observed);
        Assert.Contains("more bytes transferred than planned", failed.Single(f => f.JobId == "job-1").Reason, StringComparison.Ordinal);
        Assert.Contains("another job id", failed.Single(f => f.JobId == "job-2").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_that_waited_past_the_stale_limit_is_dropped_unsent()
    {
        Known("job-1", "job-2");

        await Harness.Bus.Publish(new PollProgressBatch { VmaUrl = ScriptedVma.Url, RequestedAt = Start.AddSeconds(-5), JobIds = ["job-1", "job-2"] });
        Assert.True(await Harness.Consumed.Any<PollProgressBatch>());

        Assert.Empty(_vma.Requests);
        Assert.False(Harness.Published.Select<ProgressObserved>().Any());
        Assert.False(Harness.Published.Select<ProgressPollFailed>().Any());
    }

    [Fact]
    public async Task A_single_poll_is_one_GET_as_before()
    {
        Known("job-1");

        await Harness.Bus.Publish(new PollProgress { JobId = "job-1", VmaUrl = ScriptedVma.Url, RequestedAt = Start });
        Assert.True(await Harness.Consumed.Any<PollProgress>());

        Assert.True(await Harness.Published.Any<ProgressObserved>(m => m.Context.Message.JobId == "job-1"));
        Assert.Equal(["GET /api/v1/progress/job-1"], _vma.Requests);
    }

    void Known(params string[] jobIds)
    {
        for (var i = 0; i < jobIds.Length; i++)
        {
            _vma.Jobs[jobIds[i]] = (i + 1) * 10;
        }
    }

    async Task<(List<ProgressObserved> Observed, List<ProgressPollFailed> Failed)> PollAsync(params string[] jobIds)
    {
        var before = (Observed: Harness.Published.Select<ProgressObserved>().Count(), Failed: Harness.Published.Select<ProgressPollFailed>().Count());
        var consumed = Harness.Consumed.Select<PollProgressBatch>().Count();
        await Harness.Bus.Publish(new PollProgressBatch { VmaUrl = ScriptedVma.Url, RequestedAt = _clock.GetUtcNow(), JobIds = jobIds });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Harness.Consumed.Select<PollProgressBatch>().Count() == consumed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return (
            [.. Harness.Published.Select<ProgressObserved>().Skip(before.Observed).Select(m => m.Context.Message)],
            [.. Harness.Published.Select<ProgressPollFailed>().Skip(before.Failed).Select(m => m.Context.Message)]);
    }

    /// <summary>The polls here carry no claim (as during a database outage): the claim store is never asked.</summary>
    sealed class UnusedClaims : IPollSweepStore
    {
        public Task<IReadOnlyList<DuePoll>> ClaimDueAsync(
            DateTimeOffset dueBy, DateTimeOffset now, DateTimeOffset until, BehindHold hold, int limit, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not in these tests");

        public Task<bool> ReleaseAsync(string jobId, DateTimeOffset until, DateTimeOffset releasedAt, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not in these tests");

        public Task<IReadOnlyList<string>> GetOverdueAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not in these tests");
    }
}
