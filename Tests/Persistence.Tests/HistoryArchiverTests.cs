using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

/// <summary>
/// <c>cbt_history</c> retention: old rows move to <c>cbt_history_archive</c> in batches; a run that dies between batches
/// leaves every row in exactly one table, and the next run finishes the move.
/// </summary>
[Collection(DatabaseCollection.Name)]
public sealed class HistoryArchiverTests(TestDatabases fixture)
{
    private const int Old = 200;
    private const int Recent = 50;

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_run_killed_between_batches_is_finished_by_the_next_with_nothing_lost_or_doubled(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.FreshAsync(provider));
        var now = TestJobs.Now;
        var time = new FakeTimeProvider(now);
        var store = services.GetRequiredService<IReplicationStore>();
        await store.AddCbtHistoryAsync(
        [
            .. Enumerable.Range(0, Old).Select(i => Row($"old-{i / 4}", $"disk-{i % 4}", now.AddDays(-100).AddMinutes(i))),
            .. Enumerable.Range(0, Recent).Select(i => Row($"new-{i / 4}", $"disk-{i % 4}", now.AddDays(-1).AddMinutes(i))),
        ], CancellationToken.None);
        var before = await IdsAsync(services, "cbt_history");
        var archiver = new HistoryArchiver(services.GetRequiredService<DbConnectionFactory>(), services.GetRequiredService<SqlDialect>(), time);
        var cutoff = now.AddDays(-90);

        // The first run dies after its third batch, as a killed process would.
        var killed = await Assert.ThrowsAsync<InvalidOperationException>(() => archiver.ArchiveAsync(cutoff, 30, TimeSpan.Zero,
            batch => batch.Number == 3 ? throw new InvalidOperationException("killed") : Task.CompletedTask, CancellationToken.None));
        Assert.Equal("killed", killed.Message);
        var live = await IdsAsync(services, "cbt_history");
        var archived = await IdsAsync(services, "cbt_history_archive");
        Assert.Equal(90, archived.Count);
        Assert.Empty(live.Intersect(archived));
        Assert.Equal(before, live.Union(archived).Order().ToList());

        var result = await archiver.ArchiveAsync(cutoff, 30, TimeSpan.Zero, afterBatch: null, CancellationToken.None);
        Assert.Equal(Old - 90, result.Moved);
        Assert.Equal(new HistoryCounts { Live = Recent, Archived = Old, Due = 0 }, result.Counts);
        live = await IdsAsync(services, "cbt_history");
        archived = await IdsAsync(services, "cbt_history_archive");
        Assert.Empty(live.Intersect(archived));
        Assert.Equal(before, live.Union(archived).Order().ToList());

        // The monitoring query reads the live table: only the recent rows; a third run has nothing to do.
        var recent = await services.GetRequiredService<IJobQueries>().GetRecentCbtHistoryAsync(100, CancellationToken.None);
        Assert.Equal(Recent, recent.Count);
        Assert.All(recent, r => Assert.StartsWith("new-", r.JobId, StringComparison.Ordinal));
        Assert.Equal(0, (await archiver.ArchiveAsync(cutoff, 30, TimeSpan.Zero, afterBatch: null, CancellationToken.None)).Moved);

        // Archived rows keep every column.
        await using var connection = await services.GetRequiredService<DbConnectionFactory>().OpenAsync(CancellationToken.None);
        var copy = await connection.QuerySingleAsync<(string JobId, string DiskId, string ChangeId, long Bytes)>(
            "SELECT job_id, disk_id, change_id, bytes_transferred FROM cbt_history_archive WHERE id = " + archived.Min());
        Assert.Equal(("old-0", "disk-0", "52 a1/7", 4096L), copy);
    }

    private static async Task<List<long>> IdsAsync(ServiceProvider services, string table)
    {
        await using var connection = await services.GetRequiredService<DbConnectionFactory>().OpenAsync(CancellationToken.None);
        return [.. await connection.QueryAsync<long>($"SELECT id FROM {table} ORDER BY id")];
    }

    private static CbtHistoryRow Row(string jobId, string diskId, DateTimeOffset at) => new()
    {
        JobId = jobId,
        DiskId = diskId,
        ChangeId = "52 a1/7",
        SyncType = "incremental",
        BytesTransferred = 4096,
        SyncDurationSeconds = 3,
        SyncSuccess = true,
        CreatedAt = at,
    };
}
