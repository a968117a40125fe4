using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Migration.Contracts.Progress;
using Migration.Contracts.Vma;

namespace Migration.OmaWorkers.Vma;

/// <summary>The OMA side of the VMA's HTTP API: one pooled client, a resilience pipeline with the 10 s timeout.</summary>
public sealed class VmaClient(HttpClient http, TimeProvider time, IOptions<VmaClientOptions> options)
{
    public async Task<VmaCallResult> StartAsync(string vmaUrl, StartReplicationRequest request, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(vmaUrl), "api/v1/replications");
        return await SendAsync(
            () => http.PostAsJsonAsync(uri, request, ProgressJsonContext.Default.StartReplicationRequest, cancellationToken),
            cancellationToken);
    }

    public async Task<VmaProgressResult> GetProgressAsync(string vmaUrl, string jobId, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(vmaUrl), $"api/v1/progress/{Uri.EscapeDataString(jobId)}");
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return VmaProgressResult.JobUnknownToVma;
            }

            if (!response.IsSuccessStatusCode)
            {
                return VmaProgressResult.Failed((int)response.StatusCode, $"the VMA answered {(int)response.StatusCode} {response.ReasonPhrase}", PollFailureReason.HttpError);
            }

            var answer = await ProgressAnswerReader.ReadAsync(response.Content, options.Value.MaxAnswerBytes, cancellationToken);
            return ProgressAnswerValidator.Result(answer, jobId, (int)response.StatusCode, time.GetUtcNow(), options.Value.MaxClockSkew);
        }
        catch (Exception ex) when (IsFailedContact(ex))
        {
            return VmaProgressResult.Failed(null, Describe(ex), Classify(ex));
        }
    }

    /// <summary>
    /// The progress of many jobs of one VMA in one request (<c>POST /api/v1/progress/batch</c>, at most
    /// <see cref="ProgressBatchRequest.MaxJobIds"/>): one result per job (<see cref="ProgressBatchAnswer"/>), every job
    /// failed alike when the request or its answer as a whole failed, or <see cref="VmaBatchResult.EndpointMissing"/>
    /// when the VMA has no such endpoint (404 or 405: a VMA older than it).
    /// </summary>
    public async Task<VmaBatchResult> GetProgressBatchAsync(string vmaUrl, IReadOnlyList<string> jobIds, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(vmaUrl), "api/v1/progress/batch");
        try
        {
            using var response = await http.PostAsJsonAsync(
                uri, new ProgressBatchRequest { JobIds = jobIds }, ProgressJsonContext.Default.ProgressBatchRequest, cancellationToken);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                return VmaBatchResult.NoBatchEndpoint;
            }

            if (!response.IsSuccessStatusCode)
            {
                return VmaBatchResult.AllFailed(jobIds, VmaProgressResult.Failed(
                    (int)response.StatusCode, $"the VMA answered {(int)response.StatusCode} {response.ReasonPhrase} to a batch poll", PollFailureReason.HttpError));
            }

            var body = await ProgressAnswerReader.ReadBodyAsync(response.Content, options.Value.MaxBatchAnswerBytes, cancellationToken);
            return body.Error is { } tooLong
                ? VmaBatchResult.AllFailed(jobIds, VmaProgressResult.Failed((int)response.StatusCode, tooLong, PollFailureReason.InvalidDocument))
                : ProgressBatchAnswer.Results(body.Span, jobIds, options.Value.MaxAnswerBytes, time.GetUtcNow(), options.Value.MaxClockSkew);
        }
        catch (Exception ex) when (IsFailedContact(ex))
        {
            return VmaBatchResult.AllFailed(jobIds, VmaProgressResult.Failed(null, Describe(ex), Classify(ex)));
        }
    }

    public async Task<VmaCallResult> CancelAsync(string vmaUrl, string jobId, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(vmaUrl), $"api/v1/replications/{Uri.EscapeDataString(jobId)}");
        return await SendAsync(() => http.DeleteAsync(uri, cancellationToken), cancellationToken);
    }

    private static async Task<VmaCallResult> SendAsync(Func<Task<HttpResponseMessage>> call, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await call();
            if (response.IsSuccessStatusCode)
            {
                return new VmaCallResult(VmaCallOutcome.Accepted, (int)response.StatusCode, "");
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var outcome = (int)response.StatusCode is >= 400 and < 500 and not 408 and not 429
                ? VmaCallOutcome.Rejected
                : VmaCallOutcome.Unreachable;
            return new VmaCallResult(outcome, (int)response.StatusCode, Truncate(body));
        }
        catch (Exception ex) when (IsFailedContact(ex) && ex is not JsonException)
        {
            return new VmaCallResult(VmaCallOutcome.Unreachable, null, Describe(ex));
        }
    }

    /// <summary>What a call to a VMA may end in that is the VMA's doing (not our shutdown): a failed contact, not a crash.</summary>
    private static bool IsFailedContact(Exception ex) => ex is HttpRequestException or TimeoutException or JsonException
        or Polly.Timeout.TimeoutRejectedException
        or TaskCanceledException { CancellationToken.IsCancellationRequested: false };

    private static Uri BaseUri(string vmaUrl) => new(vmaUrl.EndsWith('/') ? vmaUrl : vmaUrl + "/", UriKind.Absolute);

    private static string Describe(Exception ex) => ex switch
    {
        Polly.Timeout.TimeoutRejectedException or TaskCanceledException or TimeoutException => "the VMA did not answer within the HTTP timeout",
        JsonException json => $"the VMA sent an unreadable progress document: {json.Message}",
        _ => $"the VMA could not be reached: {ex.Message}{(ex.InnerException is { } inner ? $" ({inner.GetBaseException().Message})" : "")}",
    };

    private static PollFailureReason Classify(Exception ex) => ex switch
    {
        Polly.Timeout.TimeoutRejectedException or TaskCanceledException or TimeoutException => PollFailureReason.Timeout,
        JsonException => PollFailureReason.InvalidDocument,
        _ => PollFailureReason.Unreachable,
    };

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500];
}

public enum VmaCallOutcome
{
    Accepted,

    /// <summary>A 4xx answer: asking again will not help.</summary>
    Rejected,

    /// <summary>Timeout, connection failure or 5xx: the next attempt may succeed.</summary>
    Unreachable,
}

public sealed record VmaCallResult(VmaCallOutcome Outcome, int? HttpStatus, string Detail);

public sealed record VmaProgressResult(ReplicationProgress? Progress, int? HttpStatus, string? Error, PollFailureReason? FailureReason)
{
    public bool JobUnknown => FailureReason == PollFailureReason.JobUnknown;

    /// <summary>The VMA does not know the job (404): it has lost it, and the saga sends the start again.</summary>
    public static VmaProgressResult JobUnknownToVma { get; } = new(null, 404, "the VMA does not know this job (404)", PollFailureReason.JobUnknown);

    public static VmaProgressResult Ok(ReplicationProgress progress) => new(progress, 200, null, null);

    public static VmaProgressResult Failed(int? status, string error, PollFailureReason reason) => new(null, status, error, reason);
}

/// <summary>
/// A batch poll's results, one per job asked (<see cref="Results"/>), with how many of the answer's entries were
/// ignored (about jobs not asked, or a second time); or none, when the VMA has no batch endpoint.
/// </summary>
public sealed record VmaBatchResult(bool EndpointMissing, IReadOnlyDictionary<string, VmaProgressResult> Results, int IgnoredEntries)
{
    public static VmaBatchResult NoBatchEndpoint { get; } = new(EndpointMissing: true, new Dictionary<string, VmaProgressResult>(), 0);

    public static VmaBatchResult AllFailed(IEnumerable<string> jobIds, VmaProgressResult failure) =>
        new(EndpointMissing: false, jobIds.Distinct(StringComparer.Ordinal).ToDictionary(jobId => jobId, _ => failure, StringComparer.Ordinal), 0);
}

/// <summary>Why a poll got no progress document (a bounded label of the poll-failure metric).</summary>
public enum PollFailureReason
{
    Timeout,
    Unreachable,
    JobUnknown,
    HttpError,
    InvalidDocument,
}
