using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;

namespace Migration.Tests.OmaWorkers;

/// <summary>
/// A VMA as the worker's HTTP client sees it, without a socket: each job's progress document (or none: 404) for
/// <c>GET /api/v1/progress/{jobId}</c> and <c>POST /api/v1/progress/batch</c>, or a batch answer the test writes
/// itself; every request is recorded.
/// </summary>
public sealed class ScriptedVma(TimeProvider time) : HttpMessageHandler
{
    public const string Url = "https://vma-a:443";

    /// <summary>The jobs the VMA knows, with their progress percent.</summary>
    public ConcurrentDictionary<string, int> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Without a batch endpoint (an older VMA), the batch route answers this (404 or 405).</summary>
    public HttpStatusCode? BatchRouteStatus { get; set; }

    /// <summary>Replaces the batch answer's body (given the ids asked), to send nonsense.</summary>
    public Func<IReadOnlyList<string>, string>? BatchBody { get; set; }

    public ConcurrentQueue<string> Requests { get; } = new();

    public int BatchRequests => Requests.Count(r => r.StartsWith("POST", StringComparison.Ordinal));

    public int SingleRequests => Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal));

    public string Document(string jobId, int percent) => JsonSerializer.Serialize(new ReplicationProgress
    {
        JobId = jobId,
        Stage = ReplicationStage.Transfer,
        Status = VmaJobStatus.Streaming,
        StartedAt = time.GetUtcNow().AddMinutes(-1),
        UpdatedAt = time.GetUtcNow(),
        Aggregate = new AggregateProgress { TotalBytes = 1000, BytesTransferred = percent * 10, ThroughputBps = 100, Percent = percent },
        Cbt = new CbtInfo { Type = "full" },
        Disks = [new DiskProgress { Id = "disk-0", Label = "Hard disk 1", PlannedBytes = 1000, BytesTransferred = percent * 10, ThroughputBps = 100, Percent = percent, Status = VmaDiskStatus.Streaming }],
    }, ProgressJsonContext.Default.ReplicationProgress);

    /// <summary>The VMA's own batch answer for <paramref name="jobIds"/>, as <c>ProgressBatchEndpoint</c> writes it.</summary>
    public string BatchAnswer(IEnumerable<string> jobIds) => Results([.. jobIds.Select(EntryOf)]);

    /// <summary>The VMA's own entry for <paramref name="jobId"/>: its document, or 404.</summary>
    public string EntryOf(string jobId) => Jobs.TryGetValue(jobId, out var percent)
        ? Found(jobId, Document(jobId, percent))
        : $"{{\"job_id\":{JsonSerializer.Serialize(jobId)},\"status\":404,\"error\":\"no job with id {jobId} is known to this VMA\"}}";

    public static string Found(string jobId, string document) => $"{{\"job_id\":{JsonSerializer.Serialize(jobId)},\"status\":200,\"progress\":{document}}}";

    public static string Results(params string[] entries) => "{\"results\":[" + string.Join(',', entries) + "]}";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        Requests.Enqueue($"{request.Method} {path}");
        if (request.Method == HttpMethod.Post && path == "/api/v1/progress/batch")
        {
            if (BatchRouteStatus is { } status)
            {
                return new HttpResponseMessage(status);
            }

            var asked = JsonSerializer.Deserialize(await request.Content!.ReadAsByteArrayAsync(cancellationToken), StrictJson.ProgressBatchRequest)!.JobIds!;
            return Json(BatchBody?.Invoke(asked) ?? BatchAnswer(asked));
        }

        var jobId = Uri.UnescapeDataString(path["/api/v1/progress/".Length..]);
        return Jobs.TryGetValue(jobId, out var percent) ? Json(Document(jobId, percent)) : new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
