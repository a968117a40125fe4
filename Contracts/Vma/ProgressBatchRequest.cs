using System.Text.Json.Serialization;

namespace Migration.Contracts.Vma;

/// <summary>
/// Body of <c>POST /api/v1/progress/batch</c>: the jobs whose progress documents one request asks for (snake_case on
/// the wire, see <see cref="Progress.ProgressJsonContext"/>). The answer lists each id once, in the order asked.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ProgressBatchRequest
{
    /// <summary>Most job ids one request may name; the VMA refuses more with 400, the OMA never sends more.</summary>
    public const int MaxJobIds = 200;

    public IReadOnlyList<string>? JobIds { get; init; }
}
