using Migration.Contracts.Text;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Telemetry;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// The seed's JobLog: every entry is both a structured log event and a <c>job_log</c> row (added to the step's
/// <see cref="UnsavedRows"/>, written with the job row), each carrying the job and correlation ids.
/// </summary>
public sealed partial class JobLog(TimeProvider time, OmaMetrics metrics, ILogger<JobLog> logger)
{
    public const string StartingPolling = "Starting progress polling for replication job";
    public const string StoppedPolling = "Stopped progress polling for job";
    public const string CompletedStopping = "Job completed, stopping progress polling";
    public const string ContactTimeoutExceeded = "VMA communication timeout exceeded";

    /// <param name="dedupeKey">Unique per job for this event: a redelivered message adds the same key, which is written once.</param>
    public void Write(ReplicationState job, string eventKind, string message, string dedupeKey, LogLevel level = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(job);
        // Messages quote what a VMA or an integrator sent (errors, names): one line, no terminal escapes, in the log and the row.
        message = SafeText.Escape(message, 2000);
        LogEvent(level, message, job.JobId, job.CorrelationId, eventKind, job.CurrentOperation);
        metrics.JobEvent(eventKind);
        job.Unsaved.AddLog(new JobLogEntry
        {
            JobId = job.JobId,
            CorrelationId = job.CorrelationId,
            At = time.GetUtcNow(),
            Level = level.ToString(),
            EventKind = eventKind,
            Message = message,
            DedupeKey = dedupeKey,
        });
    }

    /// <summary>The seed's key messages each have an event id of their own (stable: alerts and saved searches use them).</summary>
    private void LogEvent(LogLevel level, string message, string jobId, Guid correlationId, string eventKind, string? stage)
    {
        switch (message)
        {
            case StartingPolling:
                LogStartingPolling(logger, level, message, jobId, correlationId, eventKind, stage);
                break;
            case StoppedPolling:
                LogStoppedPolling(logger, level, message, jobId, correlationId, eventKind, stage);
                break;
            case CompletedStopping:
                LogCompletedStopping(logger, level, message, jobId, correlationId, eventKind, stage);
                break;
            case ContactTimeoutExceeded:
                LogContactTimeoutExceeded(logger, level, message, jobId, correlationId, eventKind, stage);
                break;
            default:
                Log(logger, level, message, jobId, correlationId, eventKind, stage);
                break;
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "StartingPolling", Message = "{JobLogMessage} (job {JobId}, correlation {CorrelationId}, event {EventKind}, stage {Stage})")]
    private static partial void LogStartingPolling(
        ILogger logger, LogLevel level, string jobLogMessage, string jobId, Guid correlationId, string eventKind, string? stage);

    [LoggerMessage(EventId = 1002, EventName = "StoppedPolling", Message = "{JobLogMessage} (job {JobId}, correlation {CorrelationId}, event {EventKind}, stage {Stage})")]
    private static partial void LogStoppedPolling(
        ILogger logger, LogLevel level, string jobLogMessage, string jobId, Guid correlationId, string eventKind, string? stage);

    [LoggerMessage(EventId = 1003, EventName = "JobCompleted", Message = "{JobLogMessage} (job {JobId}, correlation {CorrelationId}, event {EventKind}, stage {Stage})")]
    private static partial void LogCompletedStopping(
        ILogger logger, LogLevel level, string jobLogMessage, string jobId, Guid correlationId, string eventKind, string? stage);

    [LoggerMessage(EventId = 1004, EventName = "ContactTimeoutExceeded", Message = "{JobLogMessage} (job {JobId}, correlation {CorrelationId}, event {EventKind}, stage {Stage})")]
    private static partial void LogContactTimeoutExceeded(
        ILogger logger, LogLevel level, string jobLogMessage, string jobId, Guid correlationId, string eventKind, string? stage);

    [LoggerMessage(EventId = 1000, EventName = "JobLog", Message = "{JobLogMessage} (job {JobId}, correlation {CorrelationId}, event {EventKind}, stage {Stage})")]
    private static partial void Log(
        ILogger logger, LogLevel level, string jobLogMessage, string jobId, Guid correlationId, string eventKind, string? stage);
}
