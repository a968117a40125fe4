using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Migration.Scheduler.Telemetry;

/// <summary>
/// Jobs by status and stage, and the bytes of the active ones per VMA, as gauges (meter <see cref="MeterName"/>).
/// Read from the database every <c>Telemetry:JobGaugeInterval</c> by one background loop, never by a scrape: a scrape
/// costs nothing, and the database sees one grouped query per interval per scheduler replica. Every replica reports
/// the same figures, so dashboards take <c>max</c> over instances.
/// </summary>
public sealed partial class JobGauges : BackgroundService
{
    public const string MeterName = "Migration.Scheduler";

    private readonly JobCountsQuery _query;
    private readonly TimeProvider _time;
    private readonly JobGaugeOptions _options;
    private readonly ILogger<JobGauges> _logger;
    private JobCounts _counts = JobCounts.Empty;

    public JobGauges(JobCountsQuery query, TimeProvider time, IOptions<JobGaugeOptions> options, IMeterFactory meterFactory, ILogger<JobGauges> logger)
    {
        _query = query;
        _time = time;
        _options = options.Value;
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("migration.jobs", ObserveJobs, "{job}", "Jobs by status and stage (active ones also by VMA), as last read from the database");
        meter.CreateObservableGauge("migration.jobs.planned", () => ObserveActive(g => g.PlannedBytes), "By", "Bytes the active jobs will move, by VMA");
        meter.CreateObservableGauge("migration.jobs.transferred", () => ObserveActive(g => g.TransferredBytes), "By", "Bytes the active jobs have moved, by VMA");
        meter.CreateObservableGauge("migration.jobs.throughput", () => ObserveActive(g => g.ThroughputBps), "By/s", "Transfer rate of the active jobs as their VMAs last reported it, by VMA");
    }

    public JobCounts Current => Volatile.Read(ref _counts);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.JobGaugeInterval, _time);
        do
        {
            try
            {
                Volatile.Write(ref _counts, await _query.ReadAsync(stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be away for a while; the gauges keep their last reading and the next tick tries again.
                LogReadFailed(ex.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private IEnumerable<Measurement<long>> ObserveJobs()
    {
        var counts = Current;
        foreach (var group in counts.Active)
        {
            yield return new Measurement<long>(group.Jobs, new("status", group.Status), new("stage", group.Stage), new("vma", group.Vma));
        }

        foreach (var (status, jobs) in counts.Finished)
        {
            yield return new Measurement<long>(jobs, new("status", status), new("stage", "none"), new("vma", "all"));
        }
    }

    private IEnumerable<Measurement<long>> ObserveActive(Func<ActiveJobGroup, long> value) =>
        Current.Active.GroupBy(g => g.Vma).Select(byVma => new Measurement<long>(byVma.Sum(value), new KeyValuePair<string, object?>("vma", byVma.Key)));

    [LoggerMessage(LogLevel.Warning, "Could not read the job counts for the gauges: {Error}")]
    private partial void LogReadFailed(string error);
}
