namespace Migration.Contracts;

/// <summary>The VMA refused the start request for good (400, 409, unknown VM): the job cannot run.</summary>
public sealed record VmaStartRejected
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public int HttpStatus { get; init; }

    public string Reason { get; init; } = "";
}
