namespace Migration.VmaAgent.Jobs;

/// <summary>One running job's journal: every change is a whole new record, written one at a time.</summary>
internal sealed class JobJournal(JobJournalStore store, JobJournalRecord record) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writes = new(1, 1);
    private JobJournalRecord _record = record;
    private bool _closed;

    public JobJournalRecord Record => _record;

    public Task SaveAsync(CancellationToken cancellationToken) => ChangeAsync(r => r, cancellationToken);

    /// <summary>
    /// Everything below <paramref name="offset"/> is written and flushed; the same write promises up to
    /// <paramref name="promisedBytes"/> (one journal write per checkpoint instead of two).
    /// </summary>
    public Task CheckpointAsync(int disk, long offset, long flushedBytes, long promisedBytes, CancellationToken cancellationToken) =>
        ChangeDiskAsync(disk, d => d with
        {
            FlushedOffset = offset,
            FlushedBytes = flushedBytes,
            PromisedBytes = Math.Max(d.PromisedBytes, Math.Min(Math.Max(flushedBytes, promisedBytes), d.PlannedBytes)),
        }, cancellationToken);

    public Task SetTargetZeroedAsync(int disk, bool zeroed, CancellationToken cancellationToken) =>
        ChangeDiskAsync(disk, d => d with { TargetZeroed = zeroed }, cancellationToken);

    /// <summary>The disk starts again from its beginning: nothing of it counts as flushed any more.</summary>
    public Task RestartDiskAsync(int disk, CancellationToken cancellationToken) =>
        ChangeDiskAsync(disk, d => d with { FlushedOffset = 0, FlushedBytes = 0 }, cancellationToken);

    /// <summary>Progress may show up to <paramref name="bytes"/> for this disk once this returns.</summary>
    public Task PromiseAsync(int disk, long bytes, CancellationToken cancellationToken) =>
        ChangeDiskAsync(disk, d => d with { PromisedBytes = Math.Max(d.PromisedBytes, Math.Min(bytes, d.PlannedBytes)) }, cancellationToken);

    private Task ChangeDiskAsync(int disk, Func<JobJournalDisk, JobJournalDisk> change, CancellationToken cancellationToken) =>
        ChangeAsync(r => r with { Disks = [.. r.Disks.Select((d, i) => i == disk ? change(d) : d)] }, cancellationToken);

    private async Task ChangeAsync(Func<JobJournalRecord, JobJournalRecord> change, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
            {
                return;
            }

            var next = change(_record);
            await store.SaveAsync(next, cancellationToken);
            _record = next;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The job ended (succeeded, failed or cancelled): its journal goes, after any write still under way.</summary>
    public ValueTask DisposeAsync() => CloseAsync(keep: false);

    /// <summary>
    /// No more writes, after any still under way; <paramref name="keep"/>: the job is suspended by a graceful stop and
    /// the next start takes it up from this record.
    /// </summary>
    public async ValueTask CloseAsync(bool keep)
    {
        await _writes.WaitAsync(CancellationToken.None);
        try
        {
            _closed = true;
            if (!keep)
            {
                store.Delete(_record.JobId);
            }
        }
        finally
        {
            _writes.Release();
        }
    }
}
