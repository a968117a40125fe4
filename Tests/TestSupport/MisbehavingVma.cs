using System.Collections.Concurrent;
using System.Text.Json;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Migration.Tests.Support;

/// <summary>
/// A VMA of our own on real Kestrel: it accepts every start request, and answers each job's progress requests as the
/// test says (by job id, or one answer for all) — holding them open, or with nonsense — while it records when each
/// request began and ended.
/// </summary>
public sealed class MisbehavingVma : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    private MisbehavingVma(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>How each job's progress request is answered; a job not named here gets <see cref="Answer"/>.</summary>
    public ConcurrentDictionary<string, Func<HttpContext, Task>> Answers { get; } = new(StringComparer.Ordinal);

    /// <summary>The answer to every job not in <see cref="Answers"/> (default: held open until the caller gives up).</summary>
    public Func<HttpContext, Task> Answer { get; set; } = HoldOpen;

    /// <summary>The answer to <c>POST /api/v1/progress/batch</c> (default none: 404, as a VMA older than that endpoint).</summary>
    public Func<HttpContext, Task>? BatchAnswer { get; set; }

    /// <summary>The job id of every progress request, as it arrives.</summary>
    public ConcurrentQueue<string> Started { get; } = new();

    /// <summary>Every progress request that ended: job, start, end.</summary>
    public ConcurrentQueue<(string JobId, DateTimeOffset Began, DateTimeOffset Ended)> Requests { get; } = new();

    /// <summary>The most progress requests of one job that were open at the same moment.</summary>
    public ConcurrentDictionary<string, int> MaxInFlight { get; } = new(StringComparer.Ordinal);

    public static async Task<MisbehavingVma> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        MisbehavingVma? vma = null;
        app.MapPost("/api/v1/replications", () => Results.Accepted());
        app.MapPost("/api/v1/replications/{jobId}/cancel", () => Results.Accepted());
        app.MapGet("/api/v1/progress/{jobId}", (string jobId, HttpContext context) => vma!.AnswerAsync(jobId, context));
        app.MapPost("/api/v1/progress/batch", (HttpContext context) => vma!.BatchAnswer is { } answer ? answer(context) : NotFound(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        vma = new MisbehavingVma(app, new Uri(address));
        return vma;
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    /// <summary>Holds the request open until the caller aborts it.</summary>
    public static Task HoldOpen(HttpContext context) => Task.Delay(Timeout.Infinite, context.RequestAborted);

    public static Func<HttpContext, Task> Json(string body) => Json(() => body);

    public static Func<HttpContext, Task> Json(Func<string> body) => context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body());
    };

    /// <summary>A sensible document of a job streaming at <paramref name="percent"/>, stamped now (with one disk, or none).</summary>
    public static string StreamingDocument(string jobId, decimal percent, bool withDisk = false)
    {
        var now = DateTimeOffset.UtcNow;
        var progress = new ReplicationProgress
        {
            JobId = jobId,
            Stage = ReplicationStage.Transfer,
            Status = VmaJobStatus.Streaming,
            StartedAt = now.AddMinutes(-1),
            UpdatedAt = now,
            Aggregate = new AggregateProgress { TotalBytes = 1000, BytesTransferred = (long)(percent * 10), ThroughputBps = 100, Percent = (double)percent },
            Disks = withDisk
                ? [new DiskProgress { Id = "disk-0", Label = "Hard disk 1", PlannedBytes = 1000, BytesTransferred = (long)(percent * 10), ThroughputBps = 100, Percent = (double)percent, Status = VmaDiskStatus.Streaming }]
                : [],
        };
        return JsonSerializer.Serialize(progress, ProgressJsonContext.Default.ReplicationProgress);
    }

    private async Task AnswerAsync(string jobId, HttpContext context)
    {
        var began = DateTimeOffset.UtcNow;
        Started.Enqueue(jobId);
        lock (_gate)
        {
            var open = _inFlight[jobId] = _inFlight.GetValueOrDefault(jobId) + 1;
            MaxInFlight[jobId] = Math.Max(MaxInFlight.GetValueOrDefault(jobId), open);
        }

        try
        {
            await (Answers.TryGetValue(jobId, out var answer) ? answer : Answer)(context);
        }
        catch (OperationCanceledException)
        {
            // The OMA gave up (its HTTP timeout).
        }
        finally
        {
            lock (_gate)
            {
                _inFlight[jobId]--;
            }

            Requests.Enqueue((jobId, began, DateTimeOffset.UtcNow));
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
