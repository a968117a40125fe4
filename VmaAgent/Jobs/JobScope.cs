using System.Collections;
using System.Globalization;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Text;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// The log scope of one job's lines: its fields for structured sinks (the JSON console lists them), and
/// <c>JobId:… CorrelationId:… VmName:… Stage:…</c> for the plain console. The stage moves on with the job.
/// </summary>
public sealed class JobScope(string jobId, string vmName, ReplicationStage stage) : IReadOnlyList<KeyValuePair<string, object?>>
{
    // A VM name is vCenter's, not ours: a newline in it would split a log line, an ESC would reach the terminal.
    private readonly string _vmName = SafeText.Escape(vmName);

    private readonly Guid _correlationId = JobIdentity.ToCorrelationId(jobId);

    public ReplicationStage Stage { get; set; } = stage;

    public int Count => 4;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("JobId", jobId),
        1 => new("CorrelationId", _correlationId),
        2 => new("VmName", _vmName),
        3 => new("Stage", Stage.ToString()),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"JobId:{jobId} CorrelationId:{_correlationId} VmName:{_vmName} Stage:{Stage}");
}
