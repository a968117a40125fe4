using System.Diagnostics.Metrics;

namespace Migration.Oma.Persistence;

/// <summary>
/// Counts what the persistence layer wrote (and chose not to write), for tests and for the Prometheus endpoint
/// through the <see cref="MeterName"/> meter.
/// </summary>
public sealed class PersistenceMetrics : IDisposable
{
    public const string MeterName = "Migration.Persistence";

    private readonly Meter meter;
    private long jobInserts;
    private long jobUpdates;
    private long skippedUpdates;
    private long concurrencyConflicts;
    private long diskUpserts;
    private long cbtHistoryInserts;
    private long jobLogAppends;
    private long diskWriteFailures;

    public PersistenceMetrics(IMeterFactory? meterFactory = null)
    {
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        meter.CreateObservableCounter("migration.persistence.job_inserts", () => JobInserts, description: "replication_jobs rows inserted");
        meter.CreateObservableCounter("migration.persistence.job_updates", () => JobUpdates, description: "replication_jobs rows updated");
        meter.CreateObservableCounter(
            "migration.persistence.skipped_updates", () => SkippedUpdates, description: "saga steps that changed nothing, so issued no UPDATE");
        meter.CreateObservableCounter(
            "migration.persistence.concurrency_conflicts", () => ConcurrencyConflicts, description: "stale saga writes refused (retried by the bus)");
        meter.CreateObservableCounter("migration.persistence.disk_upserts", () => DiskUpserts, description: "vm_disks rows inserted or merged");
        meter.CreateObservableCounter("migration.persistence.cbt_history_inserts", () => CbtHistoryInserts, description: "cbt_history rows added");
        meter.CreateObservableCounter("migration.persistence.job_log_appends", () => JobLogAppends, description: "job_log rows added");
        meter.CreateObservableCounter(
            "migration.persistence.disk_write_failures", () => DiskWriteFailures, description: "progress disk-row writes rolled back to their savepoint (the job row was written)");
    }

    public long JobInserts => Interlocked.Read(ref jobInserts);

    public long JobUpdates => Interlocked.Read(ref jobUpdates);

    public long SkippedUpdates => Interlocked.Read(ref skippedUpdates);

    public long ConcurrencyConflicts => Interlocked.Read(ref concurrencyConflicts);

    public long DiskUpserts => Interlocked.Read(ref diskUpserts);

    public long CbtHistoryInserts => Interlocked.Read(ref cbtHistoryInserts);

    public long JobLogAppends => Interlocked.Read(ref jobLogAppends);

    public long DiskWriteFailures => Interlocked.Read(ref diskWriteFailures);

    public void JobInserted() => Interlocked.Increment(ref jobInserts);

    public void JobUpdated() => Interlocked.Increment(ref jobUpdates);

    public void UpdateSkipped() => Interlocked.Increment(ref skippedUpdates);

    public void ConcurrencyConflict() => Interlocked.Increment(ref concurrencyConflicts);

    public void DisksUpserted(int count) => Interlocked.Add(ref diskUpserts, count);

    public void CbtHistoryInserted(int count) => Interlocked.Add(ref cbtHistoryInserts, count);

    public void JobLogAppended() => Interlocked.Increment(ref jobLogAppends);

    public void DiskWriteFailed() => Interlocked.Increment(ref diskWriteFailures);

    public void Dispose() => meter.Dispose();
}
