using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

/// <summary>The sweep's claims and its overdue-job query on SQLite and PostgreSQL.</summary>
[Collection(DatabaseCollection.Name)]
public sealed class PollSweepStoreTests(TestDatabases fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_claimed_job_is_not_claimed_again_until_its_claim_is_released_or_expires(DatabaseProvider provider)
    {
        await using var database = await OpenAsync(provider);
        var (repository, claims) = (database.Repository, database.Claims);
        var now = TestJobs.Now;
        await TestJobs.InsertAsync(repository, Due("a", StatusMapping.Streaming, now.AddSeconds(-2)));
        await TestJobs.InsertAsync(repository, Due("b", StatusMapping.Pending, now.AddSeconds(-1)));
        await TestJobs.InsertAsync(repository, Due("done", StatusMapping.Completed, now.AddSeconds(-9)));
        await TestJobs.InsertAsync(repository, Due("later", StatusMapping.Streaming, now.AddSeconds(5)));
        var until = now.AddSeconds(16);

        var first = await claims.ClaimDueAsync(now, now, until, Open(now), 100, None);
        var whileClaimed = await claims.ClaimDueAsync(now.AddSeconds(2), now.AddSeconds(2), until.AddSeconds(2), Open(now.AddSeconds(2)), 100, None);
        await claims.ReleaseAsync("a", until.AddSeconds(1), now.AddSeconds(2), None); // not its claim: stays
        var wrongRelease = await claims.ClaimDueAsync(now.AddSeconds(3), now.AddSeconds(3), until.AddSeconds(3), Open(now.AddSeconds(3)), 100, None);
        await claims.ReleaseAsync("a", until, now.AddSeconds(4), None);
        var beforeReleased = await claims.ClaimDueAsync(now.AddSeconds(4), now.AddSeconds(3.5), until.AddSeconds(3), Open(now.AddSeconds(3.5)), 100, None);
        var afterRelease = await claims.ClaimDueAsync(now.AddSeconds(4), now.AddSeconds(4), until.AddSeconds(4), Open(now.AddSeconds(4)), 100, None);
        var afterExpiry = await claims.ClaimDueAsync(until.AddSeconds(1), until, until.AddSeconds(16), Open(until), 100, None);

        Assert.Equal(["a", "b"], first.Select(d => d.JobId).Order());
        Assert.All(first, d => Assert.Equal("https://vma.example:443", d.VmaUrl));
        Assert.Empty(whileClaimed);
        Assert.Empty(wrongRelease);
        Assert.Empty(beforeReleased); // due by then, but released only from 4 s on
        Assert.Equal(["a"], afterRelease.Select(d => d.JobId));
        Assert.Equal(["b", "later"], afterExpiry.Select(d => d.JobId).Order()); // b's claim expired; a's is newer
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_claim_takes_at_most_the_limit(DatabaseProvider provider)
    {
        await using var database = await OpenAsync(provider);
        var (repository, claims) = (database.Repository, database.Claims);
        var now = TestJobs.Now;
        for (var i = 0; i < 5; i++)
        {
            await TestJobs.InsertAsync(repository, Due($"job-{i}", StatusMapping.Streaming, now.AddSeconds(-i)));
        }

        var two = await claims.ClaimDueAsync(now, now, now.AddSeconds(16), Open(now), 2, None);
        var rest = await claims.ClaimDueAsync(now, now, now.AddSeconds(16), Open(now), 100, None);

        Assert.Equal(["job-3", "job-4"], two.Select(d => d.JobId).Order());
        Assert.Equal(["job-0", "job-1", "job-2"], rest.Select(d => d.JobId).Order());
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_job_the_saga_is_behind_on_is_claimed_only_once_its_last_claim_ended_long_enough_ago(DatabaseProvider provider)
    {
        await using var database = await OpenAsync(provider);
        var (repository, claims) = (database.Repository, database.Claims);
        var now = TestJobs.Now;
        await TestJobs.InsertAsync(repository, Due("current", StatusMapping.Streaming, now.AddSeconds(-1)));
        await TestJobs.InsertAsync(repository, Due("behind-polled-lately", StatusMapping.Streaming, now.AddSeconds(-8)));
        await TestJobs.InsertAsync(repository, Due("behind-polled-long-ago", StatusMapping.Streaming, now.AddSeconds(-8)));
        var earlier = now.AddSeconds(-12);
        var earlierClaim = now.AddSeconds(-11);
        await claims.ClaimDueAsync(now, earlier, earlierClaim, Open(earlier), 100, None);
        await claims.ReleaseAsync("current", earlierClaim, now.AddSeconds(-0.2), None);
        await claims.ReleaseAsync("behind-polled-lately", earlierClaim, now.AddSeconds(-0.2), None);
        await claims.ReleaseAsync("behind-polled-long-ago", earlierClaim, now.AddSeconds(-8.5), None);
        await TestJobs.InsertAsync(repository, Due("behind-never-polled", StatusMapping.Pending, now.AddSeconds(-20)));
        var hold = new BehindHold(DueBy: now.AddSeconds(-6), LastClaimEndedBy: now.AddSeconds(-8.2));

        var claimed = await claims.ClaimDueAsync(now, now, now.AddSeconds(1.8), hold, 100, None);
        var later = now.AddSeconds(8.1);
        var onceHeldLongEnough = await claims.ClaimDueAsync(later, later, later.AddSeconds(1.8), new BehindHold(later.AddSeconds(-6), later.AddSeconds(-8.2)), 100, None);

        Assert.Equal(["behind-never-polled", "behind-polled-long-ago", "current"], claimed.Select(d => d.JobId).Order());
        Assert.Equal(["behind-polled-lately"], onceHeldLongEnough.Select(d => d.JobId));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Overdue_jobs_are_live_jobs_without_contact_since_the_cutoff(DatabaseProvider provider)
    {
        await using var database = await OpenAsync(provider);
        var (repository, claims) = (database.Repository, database.Claims);
        var now = TestJobs.Now;
        await TestJobs.InsertAsync(repository, Contacted("silent", StatusMapping.Streaming, now.AddMinutes(-6)));
        await TestJobs.InsertAsync(repository, Contacted("talking", StatusMapping.Streaming, now.AddSeconds(-2)));
        await TestJobs.InsertAsync(repository, Contacted("failed-long-ago", StatusMapping.Failed, now.AddMinutes(-60)));
        var neverHeard = TestJobs.NewState("never-heard", status: StatusMapping.Pending);
        neverHeard.CreatedAt = now.AddMinutes(-10);
        await TestJobs.InsertAsync(repository, neverHeard);

        var overdue = await claims.GetOverdueAsync(now.AddMinutes(-5), 100, None);

        Assert.Equal(["never-heard", "silent"], overdue.Order());
    }

    private async Task<SweepDatabase> OpenAsync(DatabaseProvider provider)
    {
        var services = DatabaseServices.Services(await fixture.FreshAsync(provider));
        return new SweepDatabase(services, services.GetRequiredService<ReplicationStateRepository>(), services.GetRequiredService<IPollSweepStore>());
    }

    /// <summary>A hold that holds nothing back at <paramref name="now"/>.</summary>
    private static BehindHold Open(DateTimeOffset now) => new(now, now);

    private static OmaWorkers.Saga.ReplicationState Due(string id, string status, DateTimeOffset nextPollAt)
    {
        var state = TestJobs.NewState(id, status: status);
        state.NextPollAt = nextPollAt;
        return state;
    }

    private static OmaWorkers.Saga.ReplicationState Contacted(string id, string status, DateTimeOffset lastContactAt)
    {
        var state = TestJobs.NewState(id, status: status);
        state.CreatedAt = lastContactAt.AddMinutes(-1);
        state.LastContactAt = lastContactAt;
        return state;
    }
}
