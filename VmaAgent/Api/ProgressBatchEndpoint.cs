using System.Buffers;
using System.Text.Json;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Text;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Telemetry;

namespace Migration.VmaAgent.Api;

/// <summary>
/// <c>POST /api/v1/progress/batch</c>: the progress documents of many jobs in one answer, so an OMA polling hundreds of
/// jobs on this VMA makes one request per batch instead of one per job. Each entry is exactly what
/// <c>GET /api/v1/progress/{jobId}</c> would answer for that job: its document (status 200) or "unknown job" (404).
/// </summary>
public static class ProgressBatchEndpoint
{
    /// <summary>
    /// 200 one entry per distinct id asked, in the order asked; 400 a body without 1 to
    /// <see cref="ProgressBatchRequest.MaxJobIds"/> valid job ids (naming the field); 413/415 as every JSON body.
    /// </summary>
    public static async Task<IResult> AnswerAsync(HttpRequest http, JobRegistry registry, VmaMetrics metrics, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync(http, loggers.CreateLogger(typeof(ProgressBatchEndpoint).FullName!), optional: false, cancellationToken);
        if (body.Refusal is not null)
        {
            return body.Refusal;
        }

        var (jobIds, errors) = Parse(body.Body);
        if (errors is not null)
        {
            return InvalidRequest.Problem("The progress batch request is invalid", errors);
        }

        var answer = new ArrayBufferWriter<byte>(256 + (jobIds!.Count * 2048));
        var found = Write(answer, jobIds, registry);
        metrics.ProgressDocumentsServed(found);
        return TypedResults.Bytes(answer.WrittenMemory, "application/json");
    }

    /// <summary>The distinct ids asked, in order; or the errors keyed by field (<c>body</c>, <c>job_ids</c>, <c>job_ids[i]</c>).</summary>
    public static (IReadOnlyList<string>? JobIds, Dictionary<string, string[]>? Errors) Parse(ReadOnlySpan<byte> body)
    {
        ProgressBatchRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, StrictJson.ProgressBatchRequest);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.job_ids", StringComparison.Ordinal) ? "job_ids" : "body";
            return (null, Error(field, $"unreadable: a JSON object {{\"job_ids\": [\"...\"]}} is required (at {SafeText.Escape(ex.Path ?? "$", 100)})"));
        }

        var count = $"1 to {ProgressBatchRequest.MaxJobIds} job ids";
        if (request?.JobIds is not { Count: > 0 } asked)
        {
            return (null, Error(request is null ? "body" : "job_ids", $"required: {count}"));
        }

        if (asked.Count > ProgressBatchRequest.MaxJobIds)
        {
            return (null, Error("job_ids", $"{asked.Count} ids given; at most {count}"));
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < asked.Count; i++)
        {
            if (!JobIdentity.IsValid(asked[i]))
            {
                errors[$"job_ids[{i}]"] = [$"must be {JobIdentity.Rule}"];
            }
        }

        return errors.Count > 0 ? (null, errors) : (asked.Distinct(StringComparer.Ordinal).ToList(), null);
    }

    /// <summary>Writes the answer; returns how many documents it holds.</summary>
    private static int Write(IBufferWriter<byte> output, IReadOnlyList<string> jobIds, JobRegistry registry)
    {
        using var json = new Utf8JsonWriter(output);
        var found = 0;
        json.WriteStartObject();
        json.WriteStartArray("results");
        foreach (var jobId in jobIds)
        {
            json.WriteStartObject();
            json.WriteString("job_id", jobId);
            if (registry.Find(jobId) is { } job)
            {
                json.WriteNumber("status", StatusCodes.Status200OK);
                json.WritePropertyName("progress");
                json.WriteRawValue(job.Snapshot.Json, skipInputValidation: true);
                found++;
            }
            else
            {
                json.WriteNumber("status", StatusCodes.Status404NotFound);
                json.WriteString("error", $"no job with id {jobId} is known to this VMA");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        return found;
    }

    private static Dictionary<string, string[]> Error(string field, string message) =>
        new(StringComparer.Ordinal) { [field] = [message] };
}
