using System.Data.Common;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Migration.Oma.Persistence;

namespace Migration.Oma.Web.Api;

/// <summary>
/// The live page's feed (<c>text/event-stream</c>): the first page of jobs on connect (event <c>jobs</c>), then every
/// <c>Web:PushInterval</c> one <c>job</c> event for each job whose row version changed since it was last sent.
/// </summary>
/// <remarks>
/// The stream reads the database like any other client, so any replica can serve it and nothing is lost when one
/// goes away: the browser's EventSource reconnects and gets a fresh <c>jobs</c> event. The only state is the versions
/// this one connection has sent.
/// </remarks>
public static partial class JobEventsEndpoint
{
    public const string JobsEvent = "jobs";
    public const string JobEvent = "job";
    public const string PingEvent = "ping";
    public const string ErrorEvent = "database-error";

    public static IResult Stream(HttpRequest http, JobDocumentReader reader, IJobPageQueries pages, IOptions<OmaWebOptions> options,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var query = JobsEndpoints.ReadQuery(http, options.Value, allowOffset: false);
        if (query.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        var logger = loggers.CreateLogger(typeof(JobEventsEndpoint).FullName!);
        return TypedResults.ServerSentEvents(EventsAsync(query, reader, pages, options.Value, time, logger, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(JobsEndpoints.PageQuery query, JobDocumentReader reader,
        IJobPageQueries pages, OmaWebOptions options, TimeProvider time, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<string, int>? sent = null;
        var lastEvent = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            var read = await ReadAsync(query, reader, pages, sent, time, logger, cancellationToken);
            if (read.Error is not null)
            {
                yield return new SseItem<string>(read.Error, ErrorEvent);
                lastEvent = time.GetTimestamp();
            }
            else if (sent is null)
            {
                yield return new SseItem<string>(JsonSerializer.Serialize(read.Changed, OmaWebJsonContext.Default.IReadOnlyListJobSummary), JobsEvent);
                lastEvent = time.GetTimestamp();
            }
            else
            {
                foreach (var job in read.Changed)
                {
                    yield return new SseItem<string>(JsonSerializer.Serialize(job, OmaWebJsonContext.Default.JobSummary), JobEvent);
                    lastEvent = time.GetTimestamp();
                }
            }

            if (read.Versions is not null)
            {
                sent = read.Versions;
            }

            if (time.GetElapsedTime(lastEvent) >= options.HeartbeatInterval)
            {
                yield return new SseItem<string>("{}", PingEvent);
                lastEvent = time.GetTimestamp();
            }

            await Task.Delay(options.PushInterval, time, cancellationToken);
        }
    }

    private sealed record Read(IReadOnlyList<JobSummary> Changed, Dictionary<string, int>? Versions, string? Error);

    private static async Task<Read> ReadAsync(JobsEndpoints.PageQuery query, JobDocumentReader reader, IJobPageQueries pages,
        Dictionary<string, int>? sent, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var jobs = await pages.GetJobsPageAsync(query.Status, query.Limit, 0, cancellationToken);
            var changed = await reader.SummarizeAsync(
                jobs, job => sent is null || !sent.TryGetValue(job.Id, out var version) || version != job.Version, cancellationToken);
            return new Read(changed, jobs.ToDictionary(j => j.Id, j => j.Version, StringComparer.Ordinal), null);
        }
        catch (DbException ex)
        {
            LogDatabaseUnavailable(logger, ex.GetType().Name);
            return new Read([], null, JsonSerializer.Serialize(new JobLogDocument
            {
                At = time.GetUtcNow(),
                Level = "Error",
                EventKind = ErrorEvent,
                Message = "the database cannot be read; the page shows the last state it received",
            }, OmaWebJsonContext.Default.JobLogDocument));
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Job event stream: the database cannot be read ({ExceptionType}); retrying")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string exceptionType);
}
