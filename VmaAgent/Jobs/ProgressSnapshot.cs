using System.Text.Json;
using Migration.Contracts.Progress;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// One immutable published state of a job. The progress endpoint reads the current one without any lock; its
/// JSON is made once, by the first reader, and reused until the job publishes the next state.
/// </summary>
public sealed class ProgressSnapshot(ReplicationProgress document)
{
    private byte[]? _json;

    public ReplicationProgress Document { get; } = document;

    public byte[] Json => _json ??= JsonSerializer.SerializeToUtf8Bytes(Document, ProgressJsonContext.Default.ReplicationProgress);
}
