using System.Globalization;
using System.Text.RegularExpressions;

using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// What must hold in the database after a run, whatever faults it went through. Each check returns the problems it
/// found (empty when all is well), so one assertion can show every problem at once.
/// </summary>
public static partial class RunChecks
{
    private static readonly string[] Stages =
        ["Discover", "EnableCBT", "QueryCBT", "Snapshot", "PrepareVolumes", "StartExports", "Transfer", "Finalize", "PersistChangeIDs"];

    private static readonly int[] Milestones = [25, 50, 75, 100];

    /// <summary>Disks of the simulated VM <c>demo-vm-N</c>: 1 to 3, in turn.</summary>
    public static int DiskCount(string vmName) =>
        ((int.Parse(vmName["demo-vm-".Length..], CultureInfo.InvariantCulture) - 1) % 3) + 1;

    /// <summary>
    /// A completed job, complete in every table: the job row at 100 % with every byte, each disk row completed with
    /// its change id, exactly one successful <c>cbt_history</c> row per disk, and a JobLog trail in order.
    /// </summary>
    public static IReadOnlyList<string> CompletedJob(JobRow job, IReadOnlyList<DiskRow> disks, IReadOnlyList<CbtRow> history, IReadOnlyList<LogRow> log)
    {
        var problems = new List<string>();
        var expectedDisks = DiskCount(job.VmName);
        if (job.Status != "completed" || job.SagaState != "Completed")
        {
            problems.Add($"{job.Id}: status {job.Status}/{job.SagaState}, expected completed ({job.ErrorMessage})");
        }

        if (job.ProgressPercent != 100m || job.TotalBytes <= 0 || job.BytesTransferred != job.TotalBytes || job.CompletedAt is null)
        {
            problems.Add($"{job.Id}: job row {job.ProgressPercent}% {job.BytesTransferred}/{job.TotalBytes} bytes, completed_at {job.CompletedAt}");
        }

        if (disks.Count != expectedDisks)
        {
            problems.Add($"{job.Id}: {disks.Count} vm_disks rows, expected {expectedDisks}");
        }

        foreach (var disk in disks.Where(d => d.SyncStatus != "completed" || d.BytesSynced != d.PlannedBytes || d.DiskChangeId is null))
        {
            problems.Add($"{job.Id}/{disk.DiskId}: disk row {disk.SyncStatus} {disk.BytesSynced}/{disk.PlannedBytes} change id {disk.DiskChangeId}");
        }

        if (disks.Sum(d => d.BytesSynced) != job.BytesTransferred)
        {
            problems.Add($"{job.Id}: disks hold {disks.Sum(d => d.BytesSynced)} bytes, the job row {job.BytesTransferred}");
        }

        problems.AddRange(HistoryRows(job, expectedDisks, history, success: true));
        foreach (var row in history.Where(h => h.SyncSuccess))
        {
            var disk = disks.FirstOrDefault(d => d.DiskId == row.DiskId);
            if (disk is null || row.ChangeId != disk.DiskChangeId || row.BytesTransferred != disk.BytesSynced)
            {
                problems.Add($"{job.Id}/{row.DiskId}: cbt_history {row.ChangeId} {row.BytesTransferred} does not match the disk row");
            }
        }

        problems.AddRange(Trail(job, log, completed: true));
        return problems;
    }

    /// <summary>A failed job: failed everywhere, one unsuccessful <c>cbt_history</c> row per disk the job knew, the failure in the JobLog.</summary>
    public static IReadOnlyList<string> FailedJob(JobRow job, IReadOnlyList<DiskRow> disks, IReadOnlyList<CbtRow> history, IReadOnlyList<LogRow> log)
    {
        var problems = new List<string>();
        if (job.Status != "failed" || job.SagaState != "Failed" || string.IsNullOrEmpty(job.ErrorMessage) || job.CompletedAt is null)
        {
            problems.Add($"{job.Id}: {job.Status}/{job.SagaState} error '{job.ErrorMessage}' completed_at {job.CompletedAt}, expected failed");
        }

        problems.AddRange(HistoryRows(job, disks.Count, history, success: false));
        if (log.Count(l => l.EventKind == "stopped") != 1)
        {
            problems.Add($"{job.Id}: {log.Count(l => l.EventKind == "stopped")} 'stopped' JobLog rows, expected 1");
        }

        return problems;
    }

    private static IEnumerable<string> HistoryRows(JobRow job, int expected, IReadOnlyList<CbtRow> history, bool success)
    {
        if (history.Count != expected)
        {
            yield return $"{job.Id}: {history.Count} cbt_history rows, expected {expected} (one per disk)";
        }

        foreach (var duplicate in history.GroupBy(h => h.DiskId).Where(g => g.Count() > 1))
        {
            yield return $"{job.Id}/{duplicate.Key}: {duplicate.Count()} cbt_history rows for one disk";
        }

        foreach (var row in history.Where(h => h.SyncSuccess != success))
        {
            yield return $"{job.Id}/{row.DiskId}: cbt_history sync_success {row.SyncSuccess}, expected {success}";
        }
    }

    /// <summary>
    /// The JobLog of one job: started once; the nine stages once each, in order; the milestones once each, ascending,
    /// in time order (a progress regression would show as a milestone logged after a higher one); one end.
    /// </summary>
    private static IEnumerable<string> Trail(JobRow job, IReadOnlyList<LogRow> log, bool completed)
    {
        var started = log.Count(l => l.EventKind == "started");
        if (started != 1)
        {
            yield return $"{job.Id}: {started} 'started' JobLog rows, expected 1";
        }

        var stages = log.Where(l => l.EventKind == "stage").ToList();
        var stageNames = stages.Select(l => StageName().Match(l.Message).Groups[1].Value).ToList();
        if (!stageNames.SequenceEqual(Stages))
        {
            yield return $"{job.Id}: stage rows [{string.Join(", ", stageNames)}], expected the nine stages in order";
        }

        var milestones = log.Where(l => l.EventKind == "milestone").ToList();
        var values = milestones.Select(l => int.Parse(Milestone().Match(l.Message).Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        if (completed ? !values.SequenceEqual(Milestones) : !values.SequenceEqual(Milestones.Take(values.Count)))
        {
            yield return $"{job.Id}: milestone rows [{string.Join(", ", values)}], expected [{string.Join(", ", Milestones)}] in order";
        }

        foreach (var (before, after) in stages.Zip(stages.Skip(1)).Concat(milestones.Zip(milestones.Skip(1))))
        {
            if (after.LoggedAt < before.LoggedAt)
            {
                yield return $"{job.Id}: JobLog '{after.Message}' at {after.LoggedAt:O} is older than '{before.Message}' at {before.LoggedAt:O}";
            }
        }

        if (completed && (log.Count(l => l.EventKind == "completed") != 1 || log.Count(l => l.EventKind == "stopped") != 1))
        {
            yield return $"{job.Id}: {log.Count(l => l.EventKind == "completed")} 'completed' and {log.Count(l => l.EventKind == "stopped")} 'stopped' JobLog rows, expected 1 each";
        }
    }

    /// <summary>Every table checked for every job: completed jobs against <see cref="CompletedJob"/>, failed ones against <see cref="FailedJob"/>.</summary>
    public static async Task<IReadOnlyList<string>> AllJobsAsync(JobDatabase database, IReadOnlyCollection<string> expectFailed)
    {
        var jobs = await database.GetJobsAsync();
        var disks = (await database.GetDisksAsync()).ToLookup(d => d.JobId);
        var history = (await database.GetCbtHistoryAsync()).ToLookup(h => h.JobId);
        var log = (await database.GetJobLogAsync()).ToLookup(l => l.JobId);
        var problems = new List<string>();
        foreach (var job in jobs)
        {
            problems.AddRange(expectFailed.Contains(job.Id)
                ? FailedJob(job, [.. disks[job.Id]], [.. history[job.Id]], [.. log[job.Id]])
                : CompletedJob(job, [.. disks[job.Id]], [.. history[job.Id]], [.. log[job.Id]]));
        }

        var known = jobs.Select(j => j.Id).ToHashSet();
        problems.AddRange(disks.Select(g => g.Key).Concat(history.Select(g => g.Key)).Where(id => !known.Contains(id)).Distinct()
            .Select(id => $"{id}: disk or history rows without a job row"));
        return problems;
    }

    /// <summary>A MassTransit <c>_error</c> (faulted) or <c>_skipped</c> (no consumer) queue that holds messages.</summary>
    public static bool HoldsFaultedMessages(QueueInfo queue) =>
        (queue.Name.EndsWith("_error", StringComparison.Ordinal) || queue.Name.EndsWith("_skipped", StringComparison.Ordinal))
        && queue.Messages > 0;

    [GeneratedRegex(@"^Stage (\w+)")]
    private static partial Regex StageName();

    [GeneratedRegex(@"^Progress reached (\d+)%")]
    private static partial Regex Milestone();
}
