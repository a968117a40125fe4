using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.OmaWorkers.Saga;
using Migration.Tests.Support;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// Two complete OMA sides (workers and an independent sweep each) on one RabbitMQ virtual host and one PostgreSQL
/// database, against a VMA of our own that holds one job's polls open and answers another's with nonsense forever.
/// </summary>
public sealed class UntrustedVmaTests : IAsyncLifetime
{
    private static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ContactTimeout = TimeSpan.FromSeconds(12);

    private RealServers? _servers;

    public async Task InitializeAsync() => _servers = await RealServers.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_held_open_poll_is_the_only_one_in_flight_cluster_wide_backoff_engages_and_absurd_answers_end_in_the_contact_timeout()
    {
        await using var vma = await MisbehavingVma.StartAsync();
        const string silent = "untrusted-silent";
        const string absurd = "untrusted-absurd";
        vma.Answers[absurd] = MisbehavingVma.Json(() => AbsurdDocument(absurd));
        var settings = Settings();
        await using var first = await EmbeddedSystem.StartAsync(settings);
        await using var second = await EmbeddedSystem.StartAsync(settings);

        var started = DateTimeOffset.UtcNow;
        await first.StartReplicationAsync(silent, "web01", SyncType.Full, vma.Url);
        await first.StartReplicationAsync(absurd, "web02", SyncType.Full, vma.Url);
        var jobs = await first.WaitForJobsAsync([silent, absurd], ContactTimeout * 3);

        // Both end by the contact timeout, not sooner, and nothing the absurd VMA said was stored.
        Assert.All(jobs, j => Assert.Equal(StatusMapping.Failed, j.Status));
        Assert.All(jobs, j => Assert.StartsWith(JobLog.ContactTimeoutExceeded, j.ErrorMessage));
        Assert.All(jobs, j => Assert.True(j.UpdatedAt - started >= ContactTimeout, $"{j.Id} failed after {j.UpdatedAt - started}"));
        var absurdJob = jobs.Single(j => j.Id == absurd);
        Assert.Equal((0m, 0L, 0L), (absurdJob.ProgressPercent, absurdJob.BytesTransferred, absurdJob.TotalBytes));
        Assert.Null(absurdJob.LastContactAt);
        var absurdLog = await first.Queries.GetJobLogAsync(absurd, default);
        // One reason, written once however often it came (a first poll of a cold process may also have timed out).
        Assert.Single(absurdLog, l => l.EventKind == "poll-failed" && l.Message.Contains("outside 0–100", StringComparison.Ordinal));

        // The absurd job kept being polled (its answers come at once; backoff after the third).
        var requests = vma.Requests.ToArray();
        Assert.True(requests.Count(r => r.JobId == absurd) >= 5, $"{requests.Count(r => r.JobId == absurd)} polls of the absurd job");

        // Never two polls of one job at once, though two sweeps and two workers were at it.
        string Timeline(string jobId) => string.Join("; ", requests.Where(r => r.JobId == jobId).OrderBy(r => r.Began)
            .Select(r => $"{(r.Began - started).TotalSeconds:0.000}-{(r.Ended - started).TotalSeconds:0.000}"));
        Assert.True(vma.MaxInFlight[silent] == 1, Timeline(silent));
        Assert.True(vma.MaxInFlight[absurd] == 1, Timeline(absurd));

        // The silent job: every poll timed out, and after the third the pauses grow (1 s, 2 s, then 4 s here: polls at about 0, 1.25, 2.5, 4.5, 7.5 s).
        var held = requests.Where(r => r.JobId == silent).OrderBy(r => r.Began).ToArray();
        Assert.True(held.Length >= 5, $"{held.Length} polls of the silent job");
        // The OMA's HTTP timeout starts before the request reaches us, so we see a little less of it.
        Assert.All(held, r => Assert.True(r.Ended - r.Began >= HttpTimeout / 2, $"a poll ended after {r.Ended - r.Began}"));
        var pauses = held.Zip(held.Skip(1), (a, b) => b.Began - a.Ended).ToArray();
        Assert.True(pauses[3] >= TimeSpan.FromSeconds(1.5), $"pause after the 4th failed poll: {pauses[3]} (all: {string.Join(", ", pauses)})");
        var silentJob = jobs.Single(j => j.Id == silent);
        Assert.Contains(await first.Queries.GetJobLogAsync(silent, default), l => l.EventKind == "backoff");
        Assert.True(silentJob.ConsecutivePollFailures >= 3);
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = _servers!.Settings();
        settings["Scheduler:Quartz:Store"] = "Ram"; // two independent sweeps, each firing on its own: the claim must hold
        settings["Tracking:PollInterval"] = "00:00:00.500";
        settings["Tracking:WriteMinInterval"] = "00:00:00.500";
        settings["Tracking:HttpTimeout"] = "00:00:01";
        settings["Tracking:PollStaleAfter"] = "00:00:02"; // with the rest, a claim lease of 3.5 s
        settings["Tracking:MaxPollInterval"] = "00:00:04";
        settings["Tracking:ContactTimeout"] = "00:00:12";
        settings["Tracking:ContactTimeoutGrace"] = "00:00:01";
        settings["VmaClient:MaxRetryAttempts"] = "0";
        settings["Vma:Simulated:VmCount"] = "1";
        settings["Vma:Simulated:DiskSize"] = "1MiB";
        return settings;
    }

    private static string AbsurdDocument(string jobId) =>
        MisbehavingVma.StreamingDocument(jobId, 50).Replace("\"percent\":50", "\"percent\":250", StringComparison.Ordinal);
}
