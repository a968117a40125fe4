namespace Migration.Oma.Persistence;

/// <summary>
/// Which due jobs a sweep leaves for later because the saga is behind on them: a job whose next poll was due at or
/// before <see cref="DueBy"/> has answers the saga has not taken yet, and is claimed only once its last claim ended at
/// or before <see cref="LastClaimEndedBy"/>.
/// </summary>
/// <remarks>
/// The saga sets a job's next poll one interval after the poll it applied, so a next poll long past means the answers
/// since are still queued (a wave of starts, a saga short of CPU, the database down). Every poll more of such a job
/// only adds to that queue, behind which the answers that matter wait. A hold whose <see cref="LastClaimEndedBy"/> is
/// the sweep's own time holds nothing back.
/// </remarks>
public readonly record struct BehindHold(DateTimeOffset DueBy, DateTimeOffset LastClaimEndedBy);
