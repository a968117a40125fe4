namespace Migration.Scheduler.Quartz;

/// <summary>
/// Config section <c>Scheduler:Quartz</c>: where Quartz keeps its jobs and triggers.
/// </summary>
/// <remarks>
/// The embedded default keeps everything in memory, which is right for one process (the CLI demo). A real
/// deployment runs the ADO.NET store on the system's own database (<c>Database:Provider</c> and
/// <c>Database:ConnectionString</c>), so that scheduled messages survive a restart and several Scheduler replicas
/// form one cluster in which every trigger fires on exactly one node.
/// </remarks>
public sealed class QuartzStoreOptions
{
    public const string Section = "Scheduler:Quartz";

    /// <summary><c>Ram</c> (embedded default: nothing survives a restart) or <c>AdoNet</c> (every real deployment).</summary>
    public QuartzStoreKind Store { get; set; } = QuartzStoreKind.Ram;

    /// <summary>
    /// Name shared by every node of one cluster; nodes with different names ignore each other's triggers even on
    /// one database.
    /// </summary>
    public string SchedulerName { get; set; } = "migration-scheduler";

    /// <summary>Prefix of Quartz's own tables, kept apart from the product's tables.</summary>
    public string TablePrefix { get; set; } = "qrtz_";

    /// <summary>
    /// Clusters the ADO.NET store on PostgreSQL and SQL Server (instance id generated per node). SQLite is a
    /// single-node store and is never clustered, whatever this says.
    /// </summary>
    public bool Clustered { get; set; } = true;

    /// <summary>How often a clustered node records that it is alive; a node silent for longer is recovered by another.</summary>
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>
    /// Lets Quartz create its tables when they are missing (it ships the scripts per dialect). Turn off where the
    /// account may not create tables; the schema must then exist already.
    /// </summary>
    public bool CreateSchema { get; set; } = true;

    /// <summary>
    /// How soon the store tries again after the database failed. The poll sweep stands still until it does, so it is
    /// kept near the poll interval; Quartz's own 15 s (doubled on repeated failures) left jobs unpolled for 30 s after
    /// a PostgreSQL restart.
    /// </summary>
    public TimeSpan DbRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the store looks for misfired triggers. A sweep trigger that missed its firings while the database
    /// was down is only picked up again by this scan; at Quartz's default (the 60 s misfire threshold) jobs went
    /// unpolled for half a minute after a PostgreSQL restart.
    /// </summary>
    public TimeSpan MisfireScanInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How late a one-shot scheduled message may fire before the store treats it as misfired (it still fires once).</summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(60);
}

public enum QuartzStoreKind
{
    Ram,
    AdoNet,
}
