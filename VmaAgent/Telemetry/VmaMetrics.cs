using System.Diagnostics.Metrics;

namespace Migration.VmaAgent.Telemetry;

/// <summary>The agent's own instruments (meter <see cref="MeterName"/>), exported at /metrics.</summary>
public sealed class VmaMetrics
{
    public const string MeterName = "Migration.VmaAgent";

    private readonly Counter<long> _jobsStarted;
    private readonly Counter<long> _jobsSucceeded;
    private readonly Counter<long> _jobsFailed;
    private readonly Counter<long> _bytesTransferred;
    private readonly UpDownCounter<long> _activeJobs;

    public VmaMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _jobsStarted = meter.CreateCounter<long>("vma.jobs.started", "{job}", "Replication jobs accepted");
        _jobsSucceeded = meter.CreateCounter<long>("vma.jobs.succeeded", "{job}", "Replication jobs that ended Succeeded");
        _jobsFailed = meter.CreateCounter<long>("vma.jobs.failed", "{job}", "Replication jobs that ended Failed (cancelled included)");
        _bytesTransferred = meter.CreateCounter<long>("vma.bytes.transferred", "By", "Disk bytes written to targets");
        _activeJobs = meter.CreateUpDownCounter<long>("vma.jobs.active", "{job}", "Replication jobs running now (not queued)");
    }

    public void JobStarted() => _jobsStarted.Add(1);

    public void JobSucceeded() => _jobsSucceeded.Add(1);

    public void JobFailed() => _jobsFailed.Add(1);

    public void BytesTransferred(long bytes) => _bytesTransferred.Add(bytes);

    public void JobActive(int delta) => _activeJobs.Add(delta);
}
