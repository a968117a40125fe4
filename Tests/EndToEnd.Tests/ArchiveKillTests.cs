using System.Globalization;
using Dapper;
using Migration.Oma.Persistence;
using Migration.Tests.Support;
using Npgsql;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// <c>Cli archive</c> as operators run it, on PostgreSQL: the process is killed with SIGKILL in the middle of the move
/// (wherever it is: inside a batch's transaction or between two), a second run finishes, and every row is in exactly
/// one of <c>cbt_history</c> and <c>cbt_history_archive</c> — none lost, none in both, none twice.
/// </summary>
public sealed class ArchiveKillTests
{
    private const int Old = 2000;
    private const int Recent = 300;

    [Fact]
    public async Task A_real_archive_process_killed_mid_run_is_finished_by_the_next_with_no_row_lost_or_duplicated()
    {
        await using var servers = await RealServers.CreateAsync();
        DatabaseMigrator.Migrate(new DatabaseOptions
        {
            Provider = DatabaseProvider.Postgres,
            ConnectionString = servers.ConnectionString,
        });
        await using (var connection = new NpgsqlConnection(servers.ConnectionString))
        {
            await connection.ExecuteAsync($"""
                INSERT INTO cbt_history (job_id, disk_id, change_id, sync_type, bytes_transferred, sync_duration_seconds, sync_success, created_at)
                SELECT 'old-' || g, 'disk-0', '52 a1/' || g, 'incremental', 4096, 3, true, now() - interval '100 days' + g * interval '1 second'
                FROM generate_series(1, {Old}) g;
                INSERT INTO cbt_history (job_id, disk_id, change_id, sync_type, bytes_transferred, sync_duration_seconds, sync_success, created_at)
                SELECT 'new-' || g, 'disk-0', '52 a1/' || g, 'full', 4096, 3, true, now() - interval '1 day' + g * interval '1 second'
                FROM generate_series(1, {Recent}) g;
                """);
        }

        var before = await IdsAsync(servers, "cbt_history");
        var environment = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Database__ConnectionString"] = servers.ConnectionString,
        };
        var dll = Path.Combine(AppContext.BaseDirectory, "migration.dll");
        string[] arguments = ["archive", "--older-than", "90d", "--batch-size", "40", "--pause-ms", "100"];

        // SIGKILL once some batches are in the archive and most are not: no handler, no finally, no rollback of ours.
        using (var first = CliProcess.Start(dll, arguments, environment))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            long archivedSoFar;
            do
            {
                await Task.Delay(20);
                archivedSoFar = await CountAsync(servers, "cbt_history_archive");
            }
            while (archivedSoFar < 80 && !first.HasExited && DateTime.UtcNow < deadline);

            Assert.False(first.HasExited, "the archive ended before it could be killed");
            first.Kill();
        }

        var live = await IdsAsync(servers, "cbt_history");
        var archived = await IdsAsync(servers, "cbt_history_archive");
        Assert.InRange(archived.Count, 80, Old - 1); // killed mid-run, not before or after
        Assert.Equal(archived.Count, archived.Distinct().Count());
        Assert.Empty(live.Intersect(archived));
        Assert.Equal(before, live.Concat(archived).Order().ToList());

        var second = await CliProcess.RunAsync(dll, arguments.Take(3), environment, TimeSpan.FromMinutes(3));
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"moved {Old - archived.Count} rows"), second.Stdout, StringComparison.Ordinal);

        live = await IdsAsync(servers, "cbt_history");
        archived = await IdsAsync(servers, "cbt_history_archive");
        Assert.Equal((Recent, Old), (live.Count, archived.Count));
        Assert.Equal(archived.Count, archived.Distinct().Count());
        Assert.Equal(before, live.Concat(archived).Order().ToList());
        await using var check = new NpgsqlConnection(servers.ConnectionString);
        Assert.Equal(0, await check.ExecuteScalarAsync<long>("SELECT count(*) FROM cbt_history WHERE job_id LIKE 'old-%'"));
        Assert.Equal(Old, await check.ExecuteScalarAsync<long>("SELECT count(DISTINCT change_id) FROM cbt_history_archive WHERE job_id LIKE 'old-%'"));
    }

    private static async Task<List<long>> IdsAsync(RealServers servers, string table)
    {
        await using var connection = new NpgsqlConnection(servers.ConnectionString);
        return [.. await connection.QueryAsync<long>($"SELECT id FROM {table} ORDER BY id")];
    }

    private static async Task<long> CountAsync(RealServers servers, string table)
    {
        await using var connection = new NpgsqlConnection(servers.ConnectionString);
        return await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}");
    }
}
