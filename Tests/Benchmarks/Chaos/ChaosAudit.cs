using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Migration.Contracts.Status;
using Migration.Tests.Support;
using Npgsql;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// After the run: every table of the run's database, the VMA's own view of each job and the broker's queues, turned
/// into the figures. Reads only; what the rows say is compared with what must hold whatever the faults were.
/// </summary>
public sealed partial class ChaosAudit(ChaosCluster cluster, FaultLog faults, RowSampler sampler)
{
    private static readonly string[] StageOrder = [.. Enum.GetNames<ReplicationStage>()];


    private sealed record Job(string Id, string Status, string? Error, long Bytes, long Total, DateTimeOffset? LastContact);

    private sealed record LogEntry(long Id, string Kind, string Message, DateTimeOffset At);

    public async Task<ChaosFigures> RunAsync()
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        var jobs = new Dictionary<string, Job>(StringComparer.Ordinal);
        await foreach (var r in ReadAsync(connection, "SELECT id, status, error_message, bytes_transferred, total_bytes, last_contact_at FROM replication_jobs"))
        {
            jobs[r.GetString(0)] = new Job(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3), r.GetInt64(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
        }

        var disks = new List<(string Job, string Disk, string Status, string? ChangeId)>();
        await foreach (var r in ReadAsync(connection, "SELECT job_id, disk_id, sync_status, disk_change_id FROM vm_disks"))
        {
            disks.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
        }

        var history = new List<(string Job, string Disk, bool Success)>();
        await foreach (var r in ReadAsync(connection, "SELECT job_id, disk_id, sync_success FROM cbt_history"))
        {
            history.Add((r.GetString(0), r.GetString(1), r.GetBoolean(2)));
        }

        var log = new Dictionary<string, List<LogEntry>>(StringComparer.Ordinal);
        await foreach (var r in ReadAsync(connection, "SELECT job_id, id, event_kind, message, logged_at FROM job_log ORDER BY id"))
        {
            var entries = log.TryGetValue(r.GetString(0), out var list) ? list : log[r.GetString(0)] = [];
            entries.Add(new LogEntry(r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4)));
        }

        var disksOf = disks.ToLookup(d => d.Job);
        var historyOf = history.ToLookup(h => h.Job);
        var lost = new List<string>();
        var incomplete = new List<string>();
        var duplicatedLog = new List<string>();
        var logRegressions = new List<string>();
        foreach (var id in cluster.JobIds)
        {
            if (!jobs.TryGetValue(id, out var job))
            {
                lost.Add($"{id}: no job row");
                continue;
            }

            if (job.Status is not ("completed" or "failed"))
            {
                lost.Add($"{id}: still {job.Status} at the end ({job.Bytes}/{job.Total} bytes, last contact {job.LastContact:HH:mm:ss})");
                continue;
            }

            if (await VmaDisagreesAsync(job) is { } disagreement)
            {
                lost.Add($"{id}: {job.Status} in the database but {disagreement}");
            }

            incomplete.AddRange(Completeness(job, [.. disksOf[id]], [.. historyOf[id]]));
            var entries = log.GetValueOrDefault(id) ?? [];
            duplicatedLog.AddRange(LogDuplicates(id, entries));
            logRegressions.AddRange(LogRegressions(id, entries));
            if (!entries.Any(e => e.Kind == "stopped"))
            {
                incomplete.Add($"{id}: no 'stopped' JobLog row");
            }
        }

        var duplicatedHistory = history.GroupBy(h => (h.Job, h.Disk)).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Job}/{g.Key.Disk}: {g.Count()} rows").ToList();
        var queues = await QueuesAsync();
        return new ChaosFigures
        {
            Started = cluster.JobIds.Count,
            Completed = jobs.Values.Count(j => j.Status == "completed"),
            FailedByReason = jobs.Values.Where(j => j.Status == "failed")
                .GroupBy(j => Reason(j.Error)).ToDictionary(g => g.Key, g => g.Count()),
            Lost = lost,
            DuplicatedHistory = duplicatedHistory,
            DuplicatedJobLog = duplicatedLog,
            RowRegressions = sampler.Regressions,
            JobLogRegressions = logRegressions,
            Incomplete = incomplete,
            ErrorQueues = queues.Where(IsFaultQueue).ToDictionary(q => q.Name, q => q.Messages),
            MissingConsumers = MissingConsumers(queues),
            Crashes = [.. cluster.Hosts.SelectMany(h => h.Crashes)],
            StartRefusals = [.. cluster.Hosts.SelectMany(h => h.StartRefusals)],
            FaultProblems = faults.Problems,
            StatusStepsBack = sampler.StatusStepsBack.Count,
        };
    }

    /// <summary>What the VMA says of a finished job, when that contradicts the row; null when they agree.</summary>
    private async Task<string?> VmaDisagreesAsync(Job job)
    {
        using var response = await cluster.Http.GetAsync(new Uri(cluster.Vma.Url, $"/api/v1/progress/{Uri.EscapeDataString(job.Id)}"));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // The VMA forgot it in its restart: fine when the job's last contact came before the kill (it had ended
            // then, or the OMA failed it on its own); a job heard of after the restart must still be known.
            return faults.VmaKilledAt is { } killed && job.LastContact is { } contact && contact <= killed
                ? null
                : $"the VMA does not know it (last contact {job.LastContact:HH:mm:ss.fff}, VMA killed {faults.VmaKilledAt:HH:mm:ss.fff})";
        }

        if (!response.IsSuccessStatusCode)
        {
            return $"the VMA answers HTTP {(int)response.StatusCode}";
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var status = document.RootElement.GetProperty("status").GetString();
        var bytes = document.RootElement.GetProperty("aggregate").GetProperty("bytes_transferred").GetInt64();
        return (job.Status, status) switch
        {
            ("completed", nameof(VmaJobStatus.Succeeded)) when bytes == job.Bytes => null,
            ("completed", nameof(VmaJobStatus.Succeeded)) => $"the VMA moved {bytes} bytes, the row says {job.Bytes}",
            ("failed", nameof(VmaJobStatus.Failed)) => null,
            _ => $"the VMA says {status}",
        };
    }

    private static IEnumerable<string> Completeness(Job job, IReadOnlyList<(string Job, string Disk, string Status, string? ChangeId)> disks, IReadOnlyList<(string Job, string Disk, bool Success)> history)
    {
        if (job.Status == "completed")
        {
            if (disks.Count != 2 || disks.Any(d => d.Status != "completed" || d.ChangeId is null))
            {
                yield return $"{job.Id}: completed with disk rows [{string.Join(", ", disks.Select(d => $"{d.Disk} {d.Status} {d.ChangeId}"))}]";
            }

            if (history.Select(h => h.Disk).Distinct().Count() != 2 || history.Any(h => !h.Success) || job.Bytes != job.Total)
            {
                yield return $"{job.Id}: completed with {job.Bytes}/{job.Total} bytes and cbt_history [{string.Join(", ", history.Select(h => $"{h.Disk} {h.Success}"))}]";
            }
        }
        else if (history.Any(h => h.Success) || history.Select(h => h.Disk).Distinct().Count() != disks.Count)
        {
            yield return $"{job.Id}: failed with {disks.Count} disk rows and cbt_history [{string.Join(", ", history.Select(h => $"{h.Disk} {h.Success}"))}]";
        }
    }

    private static IEnumerable<string> LogDuplicates(string id, List<LogEntry> entries) =>
        entries.Where(e => e.Kind is "started" or "completed" or "stopped" or "milestone" or "stage")
            .GroupBy(e => e.Kind is "milestone" or "stage" ? e.Message : e.Kind)
            .Where(g => g.Count() > 1)
            .Select(g => $"{id}: '{g.Key}' {g.Count()} times");

    /// <summary>Milestones ascend in value and in time; stages follow the seed's order.</summary>
    private static IEnumerable<string> LogRegressions(string id, List<LogEntry> entries)
    {
        var milestones = entries.Where(e => e.Kind == "milestone").ToList();
        foreach (var (before, after) in milestones.Zip(milestones.Skip(1)))
        {
            if (Number(after.Message) <= Number(before.Message) || after.At < before.At)
            {
                yield return $"{id}: '{after.Message}' at {after.At:HH:mm:ss.fff} after '{before.Message}' at {before.At:HH:mm:ss.fff}";
            }
        }

        var stages = entries.Where(e => e.Kind == "stage").Select(e => Array.IndexOf(StageOrder, StageName().Match(e.Message).Groups[1].Value)).ToList();
        foreach (var (before, after) in stages.Zip(stages.Skip(1)))
        {
            if (after <= before)
            {
                yield return $"{id}: stage {StageOrder.ElementAtOrDefault(after)} logged after {StageOrder.ElementAtOrDefault(before)}";
            }
        }
    }

    private Task<IReadOnlyList<QueueInfo>> QueuesAsync() => cluster.Management.GetQueuesAsync(cluster.RunId);

    private static bool IsFaultQueue(QueueInfo queue) =>
        queue.Name.EndsWith("_error", StringComparison.Ordinal) || queue.Name.EndsWith("_skipped", StringComparison.Ordinal);

    private static List<string> MissingConsumers(IReadOnlyList<QueueInfo> queues) =>
        [.. ChaosCluster.ConsumedQueues
            .Select(name => (name, queue: queues.FirstOrDefault(q => q.Name == name)))
            .Where(q => q.queue is null || q.queue.Consumers < 2)
            .Select(q => $"{q.name}: {q.queue?.Consumers ?? 0} consumers, expected 2")];

    /// <summary>A failure reason without what varies per job (ids, numbers), so equal reasons count together.</summary>
    private static string Reason(string? error) =>
        error is null ? "(no error message)" : Digits().Replace(error.Length > 160 ? error[..160] + "…" : error, "N");

    private static int Number(string message) => int.Parse(Digits().Match(message).Value, CultureInfo.InvariantCulture);

    private static async IAsyncEnumerable<NpgsqlDataReader> ReadAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            yield return reader;
        }
    }

    [GeneratedRegex(@"^Stage (\w+)")]
    private static partial Regex StageName();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
