using System.Text.Json;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Saga;

/// <summary>How a VMA progress document becomes <c>vm_disks</c> and <c>cbt_history</c> rows and job-row percents.</summary>
public static class ProgressRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static List<DiskRow> Disks(ReplicationState job, ReplicationProgress progress, bool completed, DateTimeOffset now) =>
        progress.Disks.Select(d => new DiskRow
        {
            JobId = job.JobId,
            DiskId = d.Id,
            Label = d.Label,
            SyncStatus = completed ? StatusMapping.Completed : StatusMapping.ToDbStatus(d.Status),
            SyncProgressPercent = completed ? 100m : Percent(d.Percent, StatusMapping.ToDbStatus(d.Status)),
            BytesSynced = d.BytesTransferred,
            PlannedBytes = d.PlannedBytes,
            DiskChangeId = completed || d.Status == VmaDiskStatus.Completed ? d.ChangeId : null,
            UpdatedAt = now,
        }).ToList();

    public static CbtHistoryRow SuccessfulHistory(ReplicationState job, DiskProgress disk, ReplicationProgress progress, DateTimeOffset now) => new()
    {
        JobId = job.JobId,
        DiskId = disk.Id,
        ChangeId = disk.ChangeId,
        PreviousChangeId = disk.PreviousChangeId,
        SyncType = disk.SyncType ?? progress.Cbt.Type,
        BlocksChanged = disk.BlocksChanged,
        BytesTransferred = disk.BytesTransferred,
        SyncDurationSeconds = DurationSeconds(job),
        SyncSuccess = true,
        CreatedAt = now,
    };

    public static int DurationSeconds(ReplicationState job)
    {
        var start = job.StartedAt ?? job.CreatedAt;
        var end = job.CompletedAt ?? start;
        return (int)Math.Max(0, Math.Round((end - start).TotalSeconds));
    }

    /// <summary>A VMA percent as the job row stores it: 0–100, two decimals, 100 once completed.</summary>
    public static decimal Percent(double percent, string status)
    {
        if (status == StatusMapping.Completed)
        {
            return 100m;
        }

        var clamped = double.IsFinite(percent) ? Math.Clamp(percent, 0, 100) : 0;
        return Math.Round((decimal)clamped, 2, MidpointRounding.ToZero);
    }

    public static Dictionary<string, string> PreviousChangeIds(ReplicationState job) =>
        job.PreviousChangeIdsJson is null
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, string>>(job.PreviousChangeIdsJson, Json) ?? [];

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T? FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, Json);
}
