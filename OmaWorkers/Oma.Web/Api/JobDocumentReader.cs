using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Oma.Progress;

namespace Migration.Oma.Web.Api;

/// <summary>Reads jobs from the database into the API's documents (each a fresh read: the API keeps no state).</summary>
public sealed class JobDocumentReader(IJobQueries queries, IJobPageQueries pages, TimeProvider time)
{
    /// <summary>History rows read to find a VM's previous sync.</summary>
    private const int HistoryRows = 64;

    public async Task<IReadOnlyList<JobSummary>> GetPageAsync(string? status, int limit, int offset, CancellationToken cancellationToken)
    {
        var jobs = await pages.GetJobsPageAsync(status, limit, offset, cancellationToken).ConfigureAwait(false);
        return await SummarizeAsync(jobs, _ => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Summaries of <paramref name="jobs"/>; disks (and the history an ETA needs) only for those <paramref name="withDetail"/> picks.</summary>
    public async Task<IReadOnlyList<JobSummary>> SummarizeAsync(IReadOnlyList<JobView> jobs, Func<JobView, bool> withDetail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(withDetail);
        var summaries = new List<JobSummary>(jobs.Count);
        foreach (var job in jobs.Where(withDetail))
        {
            summaries.Add(await SummarizeAsync(job, cancellationToken).ConfigureAwait(false));
        }

        return summaries;
    }

    public async Task<JobSummary> SummarizeAsync(JobView job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var disks = await queries.GetDisksAsync(job.Id, cancellationToken).ConfigureAwait(false);
        double? history = null;
        if (job.Status == StatusMapping.Streaming)
        {
            history = JobEta.HistoryRate(await pages.GetVmCbtHistoryAsync(job.VmName, HistoryRows, cancellationToken).ConfigureAwait(false), job.Id);
        }

        return ToSummary(job, disks, JobEta.Seconds(job, history, time.GetUtcNow()));
    }

    public async Task<JobDetail?> GetDetailAsync(string jobId, CancellationToken cancellationToken)
    {
        if (await queries.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false) is not { } job)
        {
            return null;
        }

        var summary = await SummarizeAsync(job, cancellationToken).ConfigureAwait(false);
        var history = await queries.GetCbtHistoryAsync(jobId, cancellationToken).ConfigureAwait(false);
        var log = await queries.GetJobLogAsync(jobId, cancellationToken).ConfigureAwait(false);
        return new JobDetail
        {
            Job = summary,
            VmaUrl = job.VmaUrl,
            Stages = [.. log.Where(e => e.EventKind == "stage").Select(ToStage).OfType<StageEntry>()],
            CbtHistory = [.. history.Select(h => new CbtHistoryDocument
            {
                DiskId = h.DiskId,
                ChangeId = h.ChangeId,
                PreviousChangeId = h.PreviousChangeId,
                SyncType = h.SyncType,
                BlocksChanged = h.BlocksChanged,
                BytesTransferred = h.BytesTransferred,
                SyncDurationSeconds = h.SyncDurationSeconds,
                SyncSuccess = h.SyncSuccess,
                CreatedAt = h.CreatedAt,
            })],
            JobLog = [.. log.Select(e => new JobLogDocument { At = e.At, Level = e.Level, EventKind = e.EventKind, Message = e.Message })],
        };
    }

    private static JobSummary ToSummary(JobView job, IReadOnlyList<DiskRow> disks, long? eta) => new()
    {
        Id = job.Id,
        VmName = job.VmName,
        Status = job.Status,
        CurrentOperation = job.CurrentOperation,
        SyncType = job.SyncType,
        ProgressPercent = job.ProgressPercent,
        BytesTransferred = job.BytesTransferred,
        TotalBytes = job.TotalBytes,
        TransferSpeedBps = job.TransferSpeedBps,
        EtaSeconds = eta,
        ErrorMessage = job.ErrorMessage,
        CreatedAt = job.CreatedAt,
        UpdatedAt = job.UpdatedAt,
        StartedAt = job.StartedAt,
        CompletedAt = job.CompletedAt,
        LastContactAt = job.LastContactAt,
        ConsecutivePollFailures = job.ConsecutivePollFailures,
        Version = job.Version,
        Disks = [.. disks.Select(d => new DiskDocument
        {
            DiskId = d.DiskId,
            Label = d.Label,
            SyncStatus = d.SyncStatus,
            SyncProgressPercent = d.SyncProgressPercent,
            BytesSynced = d.BytesSynced,
            PlannedBytes = d.PlannedBytes,
            DiskChangeId = d.DiskChangeId,
            UpdatedAt = d.UpdatedAt,
        })],
    };

    /// <summary>The saga writes "Stage Transfer (status streaming)" or "Stage Snapshot (passed between polls)".</summary>
    private static StageEntry? ToStage(JobLogView entry)
    {
        var words = entry.Message.Split(' ', 3);
        return words.Length >= 2 && words[0] == "Stage"
            ? new StageEntry(words[1], entry.At, entry.Message.Contains("passed between polls", StringComparison.Ordinal))
            : null;
    }
}
