using Migration.Oma.Persistence;

namespace Migration.Oma;

/// <summary>
/// Every interval and limit of the seed's polling rules (config section <c>Tracking</c>). Tests compress them
/// to seconds; production keeps the defaults.
/// </summary>
public sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary>How often each active job is polled (the seed: every 2 seconds).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>After this many consecutive failed polls, poll less often (the seed: 3).</summary>
    public int FailuresBeforeBackoff { get; set; } = 3;

    /// <summary>The longest interval backoff reaches (30 s).</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>No successful contact for longer than this fails the job (the seed: 5 minutes).</summary>
    public TimeSpan ContactTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A poll the VMA answers "unknown job" within this long of the job's start, before the VMA ever answered for it,
    /// is neither a failure nor a reason to send the start again: in a wave of starts the first poll can overtake the
    /// start request. Later, or once the VMA has answered, "unknown" means the VMA lost the job. 0 turns this off.
    /// </summary>
    public TimeSpan StartGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-request HTTP timeout towards the VMA (the seed: 10 seconds, sized for tunnel latency).</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throttle: write when progress moved by at least this many percentage points (the seed: 1).</summary>
    public decimal WriteMinProgressDelta { get; set; } = 1m;

    /// <summary>Throttle: write when at least this long since the last write (the seed: 2 s).</summary>
    public TimeSpan WriteMinInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A poll request older than this when consumed is dropped (missed polls are skipped, not burst).</summary>
    public TimeSpan PollStaleAfter { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long past the contact timeout the sweep waits before it sends the saga a <c>ContactTimeout</c> itself (the
    /// scheduled one may have been lost with a scheduler's memory); the saga's own timer normally fires first.
    /// </summary>
    public TimeSpan ContactTimeoutGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its sweep ran a claim on a job keeps any other poll of it from starting: until just before the
    /// next sweep, so a poll answered in time needs no write to end its claim (it ends by itself; a claim whose worker
    /// died too). A poll picked up late, or still waiting for the VMA when its claim nears its end, extends it
    /// (<see cref="PollClaimGuard"/>), or is abandoned when it cannot.
    /// </summary>
    public TimeSpan PollClaimLease => PollInterval - (PollInterval / 10);

    /// <summary>
    /// How long before its claim ends a poll still in flight (or picked up only then) extends it: with the tenth
    /// between the claim's end and the next sweep, the time a late timer or a slow database has before another sweep
    /// could claim the job.
    /// </summary>
    public TimeSpan PollClaimGuard => PollInterval / 4;

    /// <summary>
    /// A job whose next poll has been due for longer than this is one the saga is behind on: the answers since wait in
    /// its queue, and the job is polled only every <see cref="EffectiveBehindPollInterval"/> until the saga catches up.
    /// Unset: three intervals (a healthy job lags at most one: a throttled answer leaves its next poll where it was); at
    /// least two.
    /// </summary>
    public TimeSpan? BehindAfter { get; set; }

    /// <summary>
    /// How often a job the saga is behind on (<see cref="EffectiveBehindAfter"/>) is polled. Unset: five intervals;
    /// <see cref="PollInterval"/> or less turns the hold off.
    /// </summary>
    public TimeSpan? BehindPollInterval { get; set; }

    public TimeSpan EffectiveBehindAfter => BehindAfter ?? PollInterval * 3;

    public TimeSpan EffectiveBehindPollInterval => BehindPollInterval ?? PollInterval * 5;

    /// <summary>The hold of a sweep at <paramref name="now"/>: a claim ends <see cref="PollClaimLease"/> after its sweep.</summary>
    public BehindHold BehindHoldAt(DateTimeOffset now)
    {
        var every = EffectiveBehindPollInterval;
        return new BehindHold(now - EffectiveBehindAfter, every > PollInterval ? now - (every - PollClaimLease) : now);
    }

    /// <summary>Most polls one sweep publishes.</summary>
    public int SweepBatchSize { get; set; } = 10_000;

    /// <summary>
    /// One sweep's polls go out over this window, each job at the same offset every interval (a stable hash of its
    /// id), so answers reach the saga as a steady stream rather than one burst of N/2 every interval. Unset: half of
    /// <see cref="PollInterval"/> (a poll keeps its firing's stamp, so its offset counts against
    /// <see cref="PollStaleAfter"/>); zero: all at once. Must be shorter than <see cref="PollInterval"/>.
    /// </summary>
    public TimeSpan? PollSpreadWindow { get; set; }

    /// <summary>How many groups the spread window is cut into (one publish batch each).</summary>
    public int PollSpreadSlots { get; set; } = 10;

    public TimeSpan EffectivePollSpreadWindow => PollSpreadWindow ?? PollInterval / 2;

    /// <summary>
    /// Most jobs of one VMA one poll message asks for (one <c>POST /api/v1/progress/batch</c> per message), 1 to
    /// <see cref="MaxPollBatchSize"/>. Default 1: one <c>PollProgress</c> and one GET per job.
    /// </summary>
    public int PollBatchSize { get; set; } = 1;

    /// <summary>The VMA's limit on the job ids of one batch request.</summary>
    public const int MaxPollBatchSize = Migration.Contracts.Vma.ProgressBatchRequest.MaxJobIds;

    /// <summary>
    /// The interval to wait before the next poll after <paramref name="consecutiveFailures"/> failed polls:
    /// the normal interval until the threshold, then doubling per further failure, capped.
    /// </summary>
    public TimeSpan NextPollDelay(int consecutiveFailures)
    {
        if (consecutiveFailures < FailuresBeforeBackoff)
        {
            return PollInterval;
        }

        var doublings = Math.Min(consecutiveFailures - FailuresBeforeBackoff + 1, 16);
        var delay = PollInterval * Math.Pow(2, doublings);
        return delay < MaxPollInterval ? delay : MaxPollInterval;
    }
}
