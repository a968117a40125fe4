using System.Diagnostics;
using System.Globalization;
using Dapper;
using Migration.Benchmarks.Pipeline;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Npgsql;

namespace Migration.Benchmarks.Archive;

/// <summary>
/// <c>archive --rows 1000000</c>: on PostgreSQL (MIGRATION_TEST_POSTGRES), a database with that many <c>cbt_history</c>
/// rows spread over a year (four disks per job, so a quarter as many jobs); the seed's three monitoring queries timed
/// and explained, then the rows older than 90 days archived in batches, then the queries again. Prints the figures.
/// </summary>
public static class ArchiveBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = IntArg(args, "--rows", 1_000_000);
        var batchSize = IntArg(args, "--batch-size", 1000);
        var runs = IntArg(args, "--runs", 20);
        var admin = Environment.GetEnvironmentVariable("MIGRATION_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new BenchmarkSetupException("MIGRATION_TEST_POSTGRES is not set: source scripts/servers.sh, servers_start, servers_env");
        var name = "archive_bench_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
        try
        {
            var options = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString };
            DatabaseMigrator.Migrate(options);
            var now = DateTimeOffset.UtcNow;
            var fill = Stopwatch.StartNew();
            await FillAsync(options.ConnectionString, rows, now);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"archive benchmark: PostgreSQL, {rows} cbt_history rows over 365 days, {rows / 4} replication_jobs (filled in {fill.Elapsed.TotalSeconds:0.0} s)"));

            var dialect = new PostgresDialect();
            var before = await MeasureAsync(options.ConnectionString, dialect, now, runs);

            await using var connections = new DbConnectionFactory(options);
            var archiver = new HistoryArchiver(connections, dialect, TimeProvider.System);
            var result = await archiver.ArchiveAsync(now.AddDays(-90), batchSize, TimeSpan.Zero, afterBatch: null, CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"archive --older-than 90d: moved {result.Moved} rows in {result.Batches} batches of {batchSize}: {result.Took.TotalSeconds:0.0} s, " +
                $"{result.Moved / Math.Max(0.001, result.Took.TotalSeconds):0} rows/s, longest batch (one transaction) {result.LongestBatch.TotalMilliseconds:0} ms; " +
                $"cbt_history {result.Counts.Live} rows, cbt_history_archive {result.Counts.Archived}"));
            await ExecuteAsync(options.ConnectionString, "VACUUM ANALYZE cbt_history");

            var after = await MeasureAsync(options.ConnectionString, dialect, now, runs);
            foreach (var (query, first) in before)
            {
                var second = after[query];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"query {query}: median {first.MedianMs:0.000} ms before, {second.MedianMs:0.000} ms after archiving; plan before: {first.Plan}; after: {second.Plan}"));
            }

            var seqScans = before.Concat(after).Count(q => q.Value.Plan.Contains("Seq Scan", StringComparison.Ordinal));
            Console.WriteLine($"archive benchmark: {seqScans} sequential scans among the monitoring queries' plans");
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    private sealed record Measure(double MedianMs, string Plan);

    /// <summary>Each monitoring query <paramref name="runs"/> times (median), and the node types of its plan.</summary>
    private static async Task<Dictionary<string, Measure>> MeasureAsync(string connectionString, SqlDialect dialect, DateTimeOffset now, int runs)
    {
        var queries = new (string Name, string Sql, object Parameters)[]
        {
            ("active jobs", dialect.ActiveJobs, new { }),
            ("recent cbt history", dialect.RecentCbtHistory, new { Limit = 10 }),
            ("health (24 h)", dialect.Health, new { Since = now.AddHours(-24) }),
        };
        var measures = new Dictionary<string, Measure>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var (queryName, sql, parameters) in queries)
        {
            var plan = (await connection.QueryAsync<string>("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, parameters)).ToList();
            var nodes = plan.Select(l => l.Trim().TrimStart('-', '>', ' ').Split(" (", 2)[0])
                .Where(node => node.Contains("Scan", StringComparison.Ordinal) || node is "Sort" or "Incremental Sort");
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var watch = Stopwatch.StartNew();
                _ = (await connection.QueryAsync(sql, parameters)).AsList();
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            measures[queryName] = new Measure(times[times.Count / 2], string.Join(" > ", nodes));
        }

        return measures;
    }

    /// <summary>Jobs and history rows made by the server (generate_series), so a million rows take seconds, not minutes.</summary>
    private static async Task FillAsync(string connectionString, int rows, DateTimeOffset now)
    {
        var jobs = Math.Max(1, rows / 4);
        var p = new { Now = now, Jobs = jobs, Rows = rows };
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO replication_jobs (id, correlation_id, saga_state, status, current_operation, progress_percent, bytes_transferred,
                total_bytes, vma_url, vm_name, vm_ref_kind, requested_sync_type, sync_type, created_at, updated_at, started_at, completed_at)
            SELECT 'job-' || g, md5('job-' || g)::uuid,
                   CASE WHEN g % 5000 = 0 THEN 'Streaming' WHEN g % 10 = 0 THEN 'Failed' ELSE 'Completed' END,
                   CASE WHEN g % 5000 = 0 THEN 'streaming' WHEN g % 10 = 0 THEN 'failed' ELSE 'completed' END,
                   'PersistChangeIDs', 100, 1073741824, 1073741824, 'https://vma-site-a:443', 'vm-' || (g % 500), 'name', 'auto', 'incremental',
                   @Now - make_interval(secs => (@Jobs - g)::double precision * 365 * 86400 / @Jobs),
                   @Now - make_interval(secs => (@Jobs - g)::double precision * 365 * 86400 / @Jobs),
                   @Now - make_interval(secs => (@Jobs - g)::double precision * 365 * 86400 / @Jobs),
                   @Now - make_interval(secs => (@Jobs - g)::double precision * 365 * 86400 / @Jobs)
            FROM generate_series(1, @Jobs) AS g
            """, p, commandTimeout: 600);
        await connection.ExecuteAsync("""
            INSERT INTO cbt_history (job_id, disk_id, change_id, previous_change_id, sync_type, bytes_transferred, sync_duration_seconds, sync_success, created_at)
            SELECT 'job-' || (1 + (g - 1) / 4), 'disk-' || (2000 + (g - 1) % 4), '52 3f 11 aa/' || g, '52 3f 11 aa/' || (g - 1), 'incremental',
                   268435456, 42, g % 10 <> 0,
                   @Now - make_interval(secs => (@Rows - g)::double precision * 365 * 86400 / @Rows)
            FROM generate_series(1, @Rows) AS g
            """, p, commandTimeout: 600);
        await connection.ExecuteAsync("ANALYZE replication_jobs, cbt_history", commandTimeout: 600);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync(sql, commandTimeout: 600);
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        if (index < 0)
        {
            return fallback;
        }

        return index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BenchmarkSetupException($"{name} needs a positive whole number");
    }
}
