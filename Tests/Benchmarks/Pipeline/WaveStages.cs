using System.Globalization;
using Npgsql;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// Where a start-up wave's time went, read from what the run left in PostgreSQL: per job, when the saga ran its start
/// step ("started" in job_log) and committed it, when the VMA began the job (its <c>started_at</c>), when the saga
/// applied the first observation and the first streaming one; and when the Quartz store committed each contact-timeout
/// trigger. Every figure counts from the first publish.
/// </summary>
public static class WaveStages
{
    private const string JobsSql = """
        WITH started AS (
            SELECT job_id, logged_at, pg_xact_commit_timestamp(xmin) AS committed FROM job_log WHERE event_kind = 'started'),
        observed AS (
            SELECT job_id, min(logged_at) AS first_at,
                   min(logged_at) FILTER (WHERE message ILIKE '%(status streaming)%') AS streaming_at
            FROM job_log WHERE event_kind = 'stage' GROUP BY job_id)
        SELECT s.logged_at, s.committed, j.started_at, o.first_at, o.streaming_at
        FROM started s JOIN replication_jobs j ON j.id = s.job_id LEFT JOIN observed o ON o.job_id = s.job_id
        """;

    public static async Task<string> ReadAsync(string connectionString, DateTimeOffset publishedFrom, bool commitTimestamps)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = commitTimestamps ? JobsSql : JobsSql.Replace("pg_xact_commit_timestamp(xmin)", "NULL::timestamptz", StringComparison.Ordinal);
        List<double> step = [], committed = [], vma = [], firstObserved = [], streaming = [], vmaAfterCommit = [], observedAfterVma = [];
        await using (var command = new NpgsqlCommand(sql, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                double? At(int column) => reader.IsDBNull(column) ? null : (reader.GetFieldValue<DateTimeOffset>(column) - publishedFrom).TotalSeconds;
                Add(step, At(0));
                Add(committed, At(1));
                Add(vma, At(2));
                Add(firstObserved, At(3));
                Add(streaming, At(4));
                if (At(1) is { } c && At(2) is { } v)
                {
                    vmaAfterCommit.Add(v - c);
                }

                if (At(2) is { } started && At(3) is { } first)
                {
                    observedAfterVma.Add(first - started);
                }
            }
        }

        var triggers = new List<double>();
        if (commitTimestamps)
        {
            await using var command = new NpgsqlCommand(
                "SELECT pg_xact_commit_timestamp(xmin) FROM qrtz_triggers WHERE trigger_group = 'masstransit-scheduled'", connection);
            try
            {
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    Add(triggers, reader.IsDBNull(0) ? null : (reader.GetFieldValue<DateTimeOffset>(0) - publishedFrom).TotalSeconds);
                }
            }
            catch (PostgresException)
            {
                // No Quartz tables (a store other than the ADO.NET one): no trigger line.
            }
        }

        var events = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT event_kind, count(*) FROM job_log WHERE event_kind IN ('poll-failed', 'vma-restarted', 'backoff') GROUP BY event_kind", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                events[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return string.Join(Environment.NewLine,
            "wave stages (seconds from the first publish: p10 / p50 / p90 / max, n):",
            $"  saga start step ran ('started' logged)     {Line(step)}",
            $"  saga start step committed                  {Line(committed)}",
            $"  contact-timeout trigger committed (Quartz) {Line(triggers)}",
            $"  VMA began the job (its started_at)         {Line(vma)}",
            $"  saga applied the first observation         {Line(firstObserved)}",
            $"  saga applied the first streaming one       {Line(streaming)}",
            $"  per job: commit -> VMA began               {Line(vmaAfterCommit)}",
            $"  per job: VMA began -> first observation    {Line(observedAfterVma)}",
            $"  job_log during the wave: {(events.Count == 0 ? "no poll failures" : string.Join(", ", events.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}")))}");
    }

    /// <summary>CPU each process spent from the first publish until every job streamed, and what the whole machine spent.</summary>
    public static string CpuLine(Dictionary<string, double> seconds, (long Busy, long Total) machineBefore, (long Busy, long Total) machineAfter, int jobs)
    {
        var ours = seconds.Where(s => s.Key != "this driver").Sum(s => s.Value);
        var machineBusy = (machineAfter.Busy - machineBefore.Busy) / 100.0;
        return string.Create(CultureInfo.InvariantCulture,
            $"wave cpu seconds: {string.Join(", ", seconds.Select(s => $"{s.Key} {s.Value:0.0}"))}; all but the driver {ours:0.0} " +
            $"({ours * 1000 / jobs:0.0} ms per job); whole machine busy {machineBusy:0.0} s of {(machineAfter.Total - machineBefore.Total) / 100.0:0.0}");
    }

    private static void Add(List<double> values, double? value)
    {
        if (value is { } v)
        {
            values.Add(v);
        }
    }

    private static string Line(List<double> values)
    {
        if (values.Count == 0)
        {
            return "none";
        }

        var sorted = values.Order().ToArray();
        double P(double p) => Percentile.Of(sorted, p);
        return string.Create(CultureInfo.InvariantCulture, $"{P(10),6:0.0} / {P(50),6:0.0} / {P(90),6:0.0} / {sorted[^1],6:0.0}  (n = {sorted.Length})");
    }
}
