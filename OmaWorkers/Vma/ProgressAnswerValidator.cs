using Migration.Contracts.Progress;
using Migration.Contracts.Status;

namespace Migration.OmaWorkers.Vma;

/// <summary>
/// Whether a progress document from a VMA is believable before anything of it is stored: it is about the job that was
/// asked for, its byte counts are not negative and do not exceed what was planned, its percentages lie in 0–100, its
/// words are known, and its time stamps are not in the future beyond the allowed clock skew. A VMA is a machine on
/// another site; a document failing any of these is a failed contact, never a stored value.
/// </summary>
public static class ProgressAnswerValidator
{
    /// <summary>Most disks a document may list (vSphere allows 60 per VM; the VMA API caps requests at 64).</summary>
    public const int MaxDisks = 64;

    /// <summary>Longest free-text value (error, label, VM name) accepted.</summary>
    public const int MaxTextLength = 4096;

    private static readonly string[] SyncTypes = ["full", "incremental"];

    /// <summary>Longest key or code stored as such (disk ids, labels, change ids: the columns' 255).</summary>
    public const int MaxKeyLength = 255;

    /// <summary>Longest note kind: <c>job_log.event_kind</c> holds 50 characters, <c>vma-</c> and the kind.</summary>
    public const int MaxNoteKindLength = 40;

    /// <summary>
    /// The poll result of a read answer (<see cref="ProgressAnswerReader"/>) about <paramref name="jobId"/>: its document,
    /// or the reading error or <see cref="Check"/>'s refusal as an invalid document.
    /// </summary>
    public static VmaProgressResult Result(ProgressAnswerReader.Answer answer, string jobId, int httpStatus, DateTimeOffset now, TimeSpan maxClockSkew)
    {
        var refusal = answer.Error ?? Check(answer.Progress!, jobId, now, maxClockSkew);
        return refusal is null
            ? VmaProgressResult.Ok(answer.Progress!)
            : VmaProgressResult.Failed(httpStatus, refusal, PollFailureReason.InvalidDocument);
    }

    /// <summary>Null when the document may be used, else the reason (stable wording: it is the job_log dedupe basis).</summary>
    public static string? Check(ReplicationProgress progress, string jobId, DateTimeOffset now, TimeSpan maxClockSkew)
    {
        if (!string.Equals(progress.JobId, jobId, StringComparison.Ordinal))
        {
            return "the VMA answered about another job id";
        }

        if (!Enum.IsDefined(progress.Stage) || !Enum.IsDefined(progress.Status))
        {
            return "the VMA sent an unknown stage or status";
        }

        if (!SyncTypes.Contains(progress.Cbt?.Type, StringComparer.Ordinal))
        {
            return "the VMA sent an unknown cbt.type";
        }

        if (Counts("aggregate", progress.Aggregate?.TotalBytes ?? -1, progress.Aggregate?.BytesTransferred ?? -1,
                progress.Aggregate?.ThroughputBps ?? -1, progress.Aggregate?.Percent ?? double.NaN) is { } aggregate)
        {
            return aggregate;
        }

        if (progress.Aggregate?.EtaSeconds is < 0)
        {
            return "the VMA sent a negative aggregate.eta_seconds";
        }

        if (progress.Disks is null || progress.Disks.Count > MaxDisks)
        {
            return $"the VMA listed more than {MaxDisks} disks";
        }

        foreach (var disk in progress.Disks)
        {
            if (disk is null || string.IsNullOrEmpty(disk.Id) || disk.Id.Length > MaxKeyLength || disk.Label?.Length > MaxKeyLength)
            {
                return "the VMA sent a disk without a usable id or with an over-long label";
            }

            if (!Enum.IsDefined(disk.Status))
            {
                return "the VMA sent an unknown disk status";
            }

            if (disk.SyncType is not null && !SyncTypes.Contains(disk.SyncType, StringComparer.Ordinal))
            {
                return "the VMA sent an unknown disks.sync_type";
            }

            if (disk.ChangeId?.Length > MaxKeyLength || disk.PreviousChangeId?.Length > MaxKeyLength || disk.FullSyncReason?.Length > MaxTextLength)
            {
                return "the VMA sent an over-long change id or full-sync reason";
            }

            if (Counts("a disk's", disk.PlannedBytes, disk.BytesTransferred, disk.ThroughputBps, disk.Percent) is { } counts)
            {
                return counts;
            }
        }

        if (progress.Error?.Length > MaxTextLength || progress.VmName?.Length > MaxTextLength)
        {
            return "the VMA sent an over-long error or VM name";
        }

        if (progress.Cbt?.ChangeId?.Length > MaxKeyLength || progress.Cbt?.PreviousChangeId?.Length > MaxKeyLength)
        {
            return "the VMA sent an over-long cbt change id";
        }

        // A block the document must have (read as null when the VMA left it out) and what a note must carry: the saga
        // writes each note to job_log under its kind.
        if (progress.Nbd?.Exports is null || progress.Nbd.Exports.Any(e => e?.Name is null))
        {
            return "the VMA sent no usable nbd block";
        }

        if (progress.Notes?.Any(n => n?.Kind is null || n.Message is null || n.Level is null || n.Kind.Length is 0 or > MaxNoteKindLength
                || !n.Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || n.Message.Length > MaxTextLength) == true)
        {
            return "the VMA sent a note without a usable kind or message";
        }

        var latest = now + maxClockSkew;
        var stamps = new[] { progress.StartedAt, progress.UpdatedAt, progress.CompletedAt ?? default }
            .Concat((progress.Nbd?.Exports ?? []).Select(e => e?.StartedAt ?? default))
            .Concat((progress.Notes ?? []).Select(n => n?.At ?? default));
        if (stamps.Any(stamp => stamp > latest))
        {
            return $"the VMA sent a time stamp more than {maxClockSkew} in the future";
        }

        return null;
    }

    private static string? Counts(string what, long planned, long transferred, long throughput, double percent)
    {
        if (planned < 0 || transferred < 0 || throughput < 0)
        {
            return $"the VMA sent negative byte counts in {what} progress";
        }

        if (transferred > planned)
        {
            return $"the VMA reported more bytes transferred than planned in {what} progress";
        }

        if (double.IsNaN(percent) || percent is < 0 or > 100)
        {
            return $"the VMA sent a percentage outside 0–100 in {what} progress";
        }

        return null;
    }
}
