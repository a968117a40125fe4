namespace Migration.Scheduler.Telemetry;

/// <summary>Section <c>Telemetry</c>: how often the job gauges are read from the database.</summary>
public sealed class JobGaugeOptions
{
    public const string Section = "Telemetry";

    /// <summary>Between two reads of the job counts (one grouped query each); a scrape in between sees the last read.</summary>
    public TimeSpan JobGaugeInterval { get; set; } = TimeSpan.FromSeconds(15);
}
