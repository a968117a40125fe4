using Migration.Contracts;
using Migration.Contracts.Logging;
using Migration.Contracts.Status;
using Migration.Contracts.Text;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// The log scope of one job's lines: <c>JobId:… CorrelationId:… VmName:… Stage:…</c>. The stage moves on with the job.
/// </summary>
public sealed class JobScope(string jobId, string vmName, ReplicationStage stage) : LogScopeFields
{
    // A VM name is vCenter's, not ours: a newline in it would split a log line, an ESC would reach the terminal.
    private readonly string _vmName = SafeText.Escape(vmName);

    private readonly Guid _correlationId = JobIdentity.ToCorrelationId(jobId);

    public ReplicationStage Stage { get; set; } = stage;

    public override int Count => 4;

    public override KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("JobId", jobId),
        1 => new("CorrelationId", _correlationId),
        2 => new("VmName", _vmName),
        3 => new("Stage", Stage.ToString()),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}
