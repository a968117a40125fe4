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
                return VmaProgressResult.Failed(404, "the VMA does not know this job (404)", PollFailureReason.JobUnknown);
            }

            if (!response.IsSuccessStatusCode)
            {
                return VmaProgressResult.Failed((int)response.StatusCode, $"the VMA answered {(int)response.StatusCode} {response.ReasonPhrase}", PollFailureReason.HttpError);
            }

            var answer = await ProgressAnswerReader.ReadAsync(response.Content, options.Value.MaxAnswerBytes, cancellationToken);
            var refusal = answer.Error
                ?? ProgressAnswerValidator.Check(answer.Progress!, jobId, time.GetUtcNow(), options.Value.MaxClockSkew);
            return refusal is null
                ? VmaProgressResult.Ok(answer.Progress!)
                : VmaProgressResult.Failed((int)response.StatusCode, refusal, PollFailureReason.InvalidDocument);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or JsonException
                                   or Polly.Timeout.TimeoutRejectedException
                                   or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            return VmaProgressResult.Failed(null, Describe(ex), Classify(ex));
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
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException
                                   or Polly.Timeout.TimeoutRejectedException
                                   or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            return new VmaCallResult(VmaCallOutcome.Unreachable, null, Describe(ex));
        }
    }

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

    public static VmaProgressResult Ok(ReplicationProgress progress) => new(progress, 200, null, null);

    public static VmaProgressResult Failed(int? status, string error, PollFailureReason reason) => new(null, status, error, reason);
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
