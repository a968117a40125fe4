using System.Diagnostics.Metrics;
using Migration.Oma.Telemetry;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Telemetry;

/// <summary>
/// The workers' instruments (meter <see cref="MeterName"/>), exported at /metrics. Labels are bounded: the VMA's
/// host (one per vCenter site), an outcome, a failure reason, a JobLog event kind — never a job id.
/// </summary>
public sealed class OmaMetrics
{
    public const string MeterName = "Migration.OmaWorkers";

    // Seconds: a healthy poll answers in milliseconds; the HTTP timeout (10 s) bounds the slowest.
    // The JobLog's event kinds, each reported from start-up at 0: increase() over a series that appears at 1 would
    // miss its first event (the first contact timeout would raise no alert).
    private static readonly string[] JobEventKinds =
        ["started", "stage", "milestone", "poll-failed", "backoff", "vma-restarted", "timeout", "cancelled", "failed", "completed", "stopped"];

    private static readonly double[] PollBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<double> _pollDuration;
    private readonly Counter<long> _pollFailures;
    private readonly Counter<long> _stalePolls;
    private readonly Counter<long> _jobEvents;

    public OmaMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pollDuration = meter.CreateHistogram(
            "migration.poll.duration", "s", "Round trip of one progress poll to a VMA, by VMA and outcome (ok, failed)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PollBuckets });
        _pollFailures = meter.CreateCounter<long>(
            "migration.poll.failures", "{failure}", "Polls that got no progress document, by VMA and reason");
        _stalePolls = meter.CreateCounter<long>(
            "migration.poll.stale", "{poll}", "Polls dropped unsent because they waited in the queue past Tracking:PollStaleAfter");
        _jobEvents = meter.CreateCounter<long>(
            "migration.job.events", "{event}",
            "JobLog events by kind: " + string.Join(", ", JobEventKinds));
        _stalePolls.Add(0);
        foreach (var kind in JobEventKinds)
        {
            JobEvent(kind, 0);
        }
    }

    public void PollSucceeded(string vmaUrl, TimeSpan duration) =>
        _pollDuration.Record(duration.TotalSeconds, new("vma", VmaLabel.Of(vmaUrl)), new("outcome", "ok"));

    public void PollFailed(string vmaUrl, TimeSpan duration, PollFailureReason reason)
    {
        var vma = VmaLabel.Of(vmaUrl);
        _pollDuration.Record(duration.TotalSeconds, new("vma", vma), new("outcome", "failed"));
        _pollFailures.Add(1, new("vma", vma), new("reason", ReasonLabel(reason)));
    }

    public void PollDroppedStale() => _stalePolls.Add(1);

    public void JobEvent(string eventKind) => JobEvent(eventKind, 1);

    private void JobEvent(string eventKind, int count) => _jobEvents.Add(count, new KeyValuePair<string, object?>("event", eventKind));

    public static string ReasonLabel(PollFailureReason reason) => reason switch
    {
        PollFailureReason.Timeout => "timeout",
        PollFailureReason.Unreachable => "unreachable",
        PollFailureReason.JobUnknown => "job_unknown",
        PollFailureReason.HttpError => "http_error",
        PollFailureReason.InvalidDocument => "invalid_document",
        _ => "other",
    };
}
