using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Migration.Contracts.Status;

namespace Migration.VmaAgent.Telemetry;

/// <summary>
/// The agent's own instruments (meter <see cref="MeterName"/>), exported at /metrics. Labels are bounded: stage,
/// outcome, operation names — never a job id (the per-job view is the progress API). Per-VMA figures come from
/// Prometheus's own <c>instance</c> label: each agent is a scrape target.
/// </summary>
public sealed class VmaMetrics
{
    public const string MeterName = "Migration.VmaAgent";

    // Seconds: a vim25 or NBD call takes milliseconds to seconds, a stage seconds to hours.
    private static readonly double[] CallBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] StageBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400];

    private readonly TimeProvider _time;
    private readonly Counter<long> _jobsStarted;
    private readonly Counter<long> _jobsSucceeded;
    private readonly Counter<long> _jobsFailed;
    private readonly Counter<long> _bytesTransferred;
    private readonly Counter<long> _bytesPlanned;
    private readonly UpDownCounter<long> _activeJobs;
    private readonly Counter<long> _progressDocuments;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _vcenterCalls;
    private readonly Histogram<double> _nbdCalls;
    private readonly ConcurrentDictionary<string, (ReplicationStage Stage, long Since)> _currentStages = new(StringComparer.Ordinal);

    public VmaMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        var meter = meterFactory.Create(MeterName);
        _jobsStarted = meter.CreateCounter<long>("vma.jobs.started", "{job}", "Replication jobs accepted");
        _jobsSucceeded = meter.CreateCounter<long>("vma.jobs.succeeded", "{job}", "Replication jobs that ended Succeeded");
        _jobsFailed = meter.CreateCounter<long>("vma.jobs.failed", "{job}", "Replication jobs that ended Failed (cancelled included)");
        _bytesTransferred = meter.CreateCounter<long>("vma.bytes.transferred", "By", "Disk bytes written to targets");
        _bytesPlanned = meter.CreateCounter<long>(
            "vma.bytes.planned", "By", "Disk bytes the started syncs will move (CBT changed or allocated areas, not capacity)");
        _progressDocuments = meter.CreateCounter<long>(
            "vma.progress.documents", "{document}", "Progress documents served, one per job answered (per-job and batch route alike)");
        _activeJobs = meter.CreateUpDownCounter<long>("vma.jobs.active", "{job}", "Replication jobs running now (not queued)");
        _stageDuration = meter.CreateHistogram(
            "vma.stage.duration", "s", "Time a job spent in one of the nine stages, by stage and whether the job went on",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StageBuckets });
        _vcenterCalls = meter.CreateHistogram(
            "vma.vcenter.call.duration", "s", "vim25 calls to vCenter, by operation and outcome",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CallBuckets });
        _nbdCalls = meter.CreateHistogram(
            "vma.nbd.call.duration", "s", "NBD requests (source reads, target writes), by operation and outcome",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CallBuckets });
    }

    public void JobStarted() => _jobsStarted.Add(1);

    public void JobSucceeded() => _jobsSucceeded.Add(1);

    public void JobFailed() => _jobsFailed.Add(1);

    public void BytesTransferred(long bytes) => _bytesTransferred.Add(bytes);

    public void BytesPlanned(long bytes) => _bytesPlanned.Add(bytes);

    public void JobActive(int delta) => _activeJobs.Add(delta);

    public void ProgressDocumentsServed(int count) => _progressDocuments.Add(count);

    /// <summary>A job entered <paramref name="stage"/>: the stage it leaves is recorded as completed.</summary>
    public void StageEntered(string jobId, ReplicationStage stage)
    {
        var now = _time.GetTimestamp();
        if (_currentStages.TryGetValue(jobId, out var previous))
        {
            RecordStage(previous.Stage, previous.Since, now, "completed");
        }

        _currentStages[jobId] = (stage, now);
    }

    /// <summary>The job ended: its last stage is recorded with the job's outcome (<c>succeeded</c> or <c>failed</c>).</summary>
    public void JobEnded(string jobId, bool succeeded)
    {
        if (_currentStages.TryRemove(jobId, out var last))
        {
            RecordStage(last.Stage, last.Since, _time.GetTimestamp(), succeeded ? "completed" : "failed");
        }
    }

    /// <summary>One vim25 call; <paramref name="operation"/> is the method name (RetrieveProperties, CreateSnapshot_Task, …).</summary>
    public void VCenterCall(string operation, TimeSpan duration, bool succeeded) =>
        _vcenterCalls.Record(duration.TotalSeconds, new("operation", operation), Outcome(succeeded));

    /// <summary>One NBD request; <paramref name="operation"/> is the command (connect, read, write, flush, …).</summary>
    public void NbdCall(string operation, TimeSpan duration, bool succeeded) =>
        _nbdCalls.Record(duration.TotalSeconds, new("operation", operation), Outcome(succeeded));

    /// <summary>Times <paramref name="call"/> as a vim25 call (an exception counts as an error and is rethrown).</summary>
    public Task<T> MeasureVCenterAsync<T>(string operation, Func<Task<T>> call) => MeasureAsync(call, (d, ok) => VCenterCall(operation, d, ok));

    /// <summary>Times <paramref name="call"/> as an NBD request (an exception counts as an error and is rethrown).</summary>
    public Task<T> MeasureNbdAsync<T>(string operation, Func<Task<T>> call) => MeasureAsync(call, (d, ok) => NbdCall(operation, d, ok));

    /// <summary>Times <paramref name="call"/> as an NBD request (an exception counts as an error and is rethrown).</summary>
    public Task MeasureNbdAsync(string operation, Func<Task> call) => MeasureNbdAsync(operation, async () =>
    {
        await call();
        return true;
    });

    private async Task<T> MeasureAsync<T>(Func<Task<T>> call, Action<TimeSpan, bool> record)
    {
        var started = _time.GetTimestamp();
        var succeeded = false;
        try
        {
            var result = await call();
            succeeded = true;
            return result;
        }
        finally
        {
            record(_time.GetElapsedTime(started), succeeded);
        }
    }

    private void RecordStage(ReplicationStage stage, long since, long now, string outcome) =>
        _stageDuration.Record(_time.GetElapsedTime(since, now).TotalSeconds, new("stage", stage.ToString()), new("outcome", outcome));

    private static KeyValuePair<string, object?> Outcome(bool succeeded) => new("outcome", succeeded ? "ok" : "error");
}
