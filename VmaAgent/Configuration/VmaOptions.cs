using Migration.VmaAgent.Transfer;

namespace Migration.VmaAgent.Configuration;

/// <summary>The agent's settings: configuration section <c>Vma</c> (env vars <c>Vma__Source</c>, <c>Vma__Simulated__VmCount</c>, ...).</summary>
public sealed class VmaOptions
{
    public const string SectionName = "Vma";

    /// <summary>Where disks are read from. Default <see cref="VmaSourceKind.Simulated"/>; <c>VSphere</c> reads real VMs through vCenter (<see cref="VSphere"/>).</summary>
    public VmaSourceKind Source { get; set; } = VmaSourceKind.Simulated;

    /// <summary>Where disk images go when a job names no target (section <c>Vma:Target</c>).</summary>
    public FileTargetOptions Target { get; set; } = new();

    /// <summary>The built-in synthetic inventory (section <c>Vma:Simulated</c>).</summary>
    public SimulatedSourceOptions Simulated { get; set; } = new();

    /// <summary>vCenter connection when <see cref="Source"/> is VSphere (section <c>Vma:VSphere</c>).</summary>
    public VSphereOptions VSphere { get; set; } = new();

    /// <summary>Job scheduling, pacing and progress reporting (section <c>Vma:Jobs</c>).</summary>
    public JobOptions Jobs { get; set; } = new();

    /// <summary>The NBD client used for NBD targets and sources (section <c>Vma:Nbd</c>).</summary>
    public Nbd.NbdClientOptions Nbd { get; set; } = new();

    /// <summary>Snapshot disks served through nbdkit and read over NBD (section <c>Vma:SourceExports</c>).</summary>
    public Nbd.NbdSourceExportOptions SourceExports { get; set; } = new();

    /// <summary>Who may call the agent when it serves HTTPS (section <c>Vma:Tls</c>).</summary>
    public Tls.VmaTlsOptions Tls { get; set; } = new();
}

public enum VmaSourceKind
{
    Simulated,
    VSphere,
}

public sealed class FileTargetOptions
{
    /// <summary>Directory of the default file target: images at <c>&lt;Directory&gt;/&lt;vm&gt;/&lt;disk-id&gt;.img</c>. Default <c>data/targets</c> (relative to the working directory).</summary>
    public string Directory { get; set; } = "data/targets";

    /// <summary>
    /// Directories a request's <c>file://</c> target may lie in (after resolving symlinks). Default: only <see cref="Directory"/>.
    /// </summary>
    public List<string> AllowedRoots { get; set; } = [];

    /// <summary>
    /// Hosts a request's <c>nbd://</c> target may name, and <c>unix:&lt;directory&gt;</c> entries for the sockets of
    /// <c>nbd+unix://</c> targets. Default: this machine only (<c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>, <c>unix:/</c>).
    /// </summary>
    public List<string> AllowedNbdHosts { get; set; } = [];
}

public sealed class SimulatedSourceOptions
{
    /// <summary>
    /// Bytes per second all simulated disks together can be read; 0 = as fast as the machine goes. Changeable while
    /// jobs run with <c>PUT /api/v1/simulator/read-rate</c>. Default 0.
    /// </summary>
    public ByteSize ReadRate { get; set; }

    /// <summary>How many VMs the inventory holds: <c>demo-vm-1</c> … <c>demo-vm-N</c>. Default 3.</summary>
    public int VmCount { get; set; } = 3;

    /// <summary>Capacity of every simulated disk. Default 64 MiB.</summary>
    public ByteSize DiskSize { get; set; } = ByteSize.FromMebibytes(64);

    /// <summary>Seed of all generated content and CBT uuids: the same seed gives the same VMs, bytes and change ids. Default 20250904.</summary>
    public int Seed { get; set; } = 20250904;

    /// <summary>Granularity of allocation and of CBT changes. Default 64 KiB (DiskSize must be a multiple of it).</summary>
    public ByteSize BlockSize { get; set; } = ByteSize.FromKibibytes(64);

    /// <summary>Size of the runs that are allocated or sparse in the initial content. Default 1 MiB (a multiple of BlockSize).</summary>
    public ByteSize ExtentSize { get; set; } = ByteSize.FromMebibytes(1);

    /// <summary>Percentage of extents that hold data at first; the rest read as zeros. Default 50.</summary>
    public int AllocatedPercent { get; set; } = 50;

    /// <summary>
    /// Names of the first VMs instead of <c>demo-vm-N</c> (any text, as vCenter allows: quotes, '%', newlines, 4-byte
    /// Unicode), so tests can send hostile names through the whole system. Default none.
    /// </summary>
    public List<string> VmNames { get; set; } = [];

    /// <summary>Labels of each VM's disks by index instead of <c>Hard disk N</c> (any text). Default none.</summary>
    public List<string> DiskLabels { get; set; } = [];
}

public sealed class JobOptions
{
    /// <summary>Jobs that run at once; more are accepted and wait with status Queued. Default 4.</summary>
    public int MaxConcurrentJobs { get; set; } = 4;

    /// <summary>
    /// Bytes per second one job may move (all its disks together) unless its start request gives
    /// <c>bandwidth_limit_bps</c>; 0 = no cap. Default 8 MiB/s: progress stays
    /// visible to a 2-second poller, and a 3-VM demo (about 100 MiB for the largest full sync) still finishes in seconds.
    /// </summary>
    public ByteSize ThroughputCapPerJob { get; set; } = ByteSize.FromMebibytes(8);

    /// <summary>Pause at the start of each of the nine stages so each one is observable; 0 for tests. Default 250 ms.</summary>
    public TimeSpan StageDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest read/write of one transfer step. Default 256 KiB (under a throughput cap, at most a tenth of a second's worth).</summary>
    public ByteSize ChunkSize { get; set; } = ByteSize.FromKibibytes(256);

    /// <summary>Requests in flight per disk (each holds one ChunkSize buffer, so memory is their product). Default 16.</summary>
    public int RequestsInFlight { get; set; } = 16;

    /// <summary>How often a transfer flushes its target and records how far it got (the resume point). Default 5 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After this much written since the last flush, one flush runs in the background while the copy goes on, so the
    /// target writes its cache out during the copy rather than all of it in the final flush; 0: only the checkpoints
    /// and the final flush. Default <see cref="TransferSettings.DefaultFlushBehindBytes"/>.
    /// </summary>
    public ByteSize FlushBehind { get; set; } = new(TransferSettings.DefaultFlushBehindBytes);

    /// <summary>
    /// On a graceful stop (SIGTERM), how long a copy may take to finish its requests in flight, flush and checkpoint
    /// before it is cut off (its journal then resumes from the last checkpoint). Default 10 s: well inside the host's
    /// 30 s shutdown timeout and Kubernetes' 30 s grace period.
    /// </summary>
    public TimeSpan StopDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keep a durable journal per running job (planned areas, how far the target is flushed) so a VMA that died mid-job
    /// takes the job up again at its next start. Default true.
    /// </summary>
    public bool Journal { get; set; } = true;

    /// <summary>Where the job journals live. Default empty: <c>&lt;Vma:Target:Directory&gt;/.journal</c>.</summary>
    public string JournalDirectory { get; set; } = "";

    /// <summary>Window of the throughput moving average. Default 3 s.</summary>
    public TimeSpan ThroughputWindow { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Window of the moving median of one-second throughputs that the progress document's <c>eta_seconds</c> divides by.
    /// Default 10 s: a dip or burst shorter than 5 s leaves the estimate alone, a lasting change is followed within 5 s.
    /// </summary>
    public TimeSpan EtaWindow { get; set; } = DefaultEtaWindow;

    public static readonly TimeSpan DefaultEtaWindow = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the newest one-second throughputs must all lie more than a quarter away from the ETA window's median,
    /// on one side, before the estimate follows them (a lasting change) rather than the median; shorter dips and bursts
    /// are ignored. Default 0, off: only the window's median (a change is followed within half the window). Measured,
    /// 3 s follows a lasting doubling seconds sooner but also follows a 3-second dip as if it lasted (README, ETA).
    /// </summary>
    public TimeSpan EtaChangeAfter { get; set; } = DefaultEtaChangeAfter;

    public static readonly TimeSpan DefaultEtaChangeAfter = TimeSpan.Zero;

    /// <summary>How long a finished job stays queryable. Default 24 h.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Most jobs kept in memory; at the limit the oldest finished job is dropped before its retention ends, and when
    /// every kept job is still running a new start is refused with 503. Default 10,000.
    /// </summary>
    public int MaxRetainedJobs { get; set; } = 10_000;

    /// <summary>How often finished jobs past their retention are dropped. Default 1 min.</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
