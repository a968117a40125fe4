using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Contracts.Status;

namespace Migration.Oma.Web.Api;

/// <summary>The read-only OMA API over the database: pages of jobs and one job with its disks, cbt_history and job_log.</summary>
public static class JobsEndpoints
{
    public const string DocumentName = "oma";

    private static readonly IReadOnlySet<string> Statuses = new HashSet<string>(
        [.. StatusMapping.ActiveJobStatuses, .. StatusMapping.TerminalJobStatuses], StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1/jobs").WithGroupName(DocumentName).WithTags("jobs");
        api.MapGet("/", ListAsync).WithName("ListJobs").WithSummary("Jobs newest first, one bounded page (filters: status, limit, offset).");
        api.MapGet("/events", JobEventsEndpoint.Stream).WithName("JobEvents")
            .WithSummary("Server-sent events: 'jobs' (the first page) on connect, then 'job' for each job whose row changed.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem();
        api.MapGet("/{id}", GetAsync).WithName("GetJob").WithSummary("One job with its disks, stage timeline, cbt_history and job_log.");
        return endpoints;
    }

    /// <summary>200 a page; 400 problem+json naming <c>status</c>, <c>limit</c> or <c>offset</c>.</summary>
    public static async Task<Results<Ok<JobPage>, ValidationProblem>> ListAsync(HttpRequest http, JobDocumentReader reader,
        IOptions<OmaWebOptions> options, CancellationToken cancellationToken)
    {
        var query = ReadQuery(http, options.Value, allowOffset: true);
        if (query.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(query.Errors);
        }

        // One row more than asked says whether a next page exists without counting the table.
        var rows = await reader.GetPageAsync(query.Status, query.Limit + 1, query.Offset, cancellationToken);
        var items = rows.Take(query.Limit).ToArray();
        return TypedResults.Ok(new JobPage
        {
            Items = items,
            Limit = query.Limit,
            Offset = query.Offset,
            NextOffset = rows.Count > query.Limit ? query.Offset + query.Limit : null,
        });
    }

    /// <summary>200 the job; 400 problem+json naming <c>id</c> when it breaks the job id rule; 404 problem+json when unknown.</summary>
    public static async Task<Results<Ok<JobDetail>, ValidationProblem, ProblemHttpResult>> GetAsync(string id, JobDocumentReader reader,
        CancellationToken cancellationToken)
    {
        if (!JobIdentity.IsValid(id))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"a job id is {JobIdentity.Rule}"] });
        }

        return await reader.GetDetailAsync(id, cancellationToken) is { } detail
            ? TypedResults.Ok(detail)
            : TypedResults.Problem(title: "Unknown job", detail: $"no job with id '{id}'", statusCode: StatusCodes.Status404NotFound);
    }

    internal sealed record PageQuery(string? Status, int Limit, int Offset, Dictionary<string, string[]> Errors);

    /// <summary>The query string read by hand, so a bad value is a problem naming its field rather than a bare 400.</summary>
    internal static PageQuery ReadQuery(HttpRequest http, OmaWebOptions options, bool allowOffset)
    {
        var errors = new Dictionary<string, string[]>();
        string? status = null;
        if (http.Query.TryGetValue("status", out var statusValues))
        {
            if (statusValues.Count == 1 && statusValues[0] is { } s && Statuses.Contains(s))
            {
                status = s;
            }
            else
            {
                errors["status"] = [$"must be one of {string.Join(", ", Statuses)}"];
            }
        }

        var limit = Number(http, "limit", options.DefaultPageSize, 1, options.MaxPageSize, errors);
        var offset = allowOffset ? Number(http, "offset", 0, 0, options.MaxOffset, errors) : 0;
        foreach (var key in http.Query.Keys.Where(k => k is not ("status" or "limit" or "offset") || (k == "offset" && !allowOffset)))
        {
            errors[Contracts.Text.SafeText.Escape(key, 100)] = ["unknown query parameter"];
        }

        return new PageQuery(status, limit, offset, errors);
    }

    private static int Number(HttpRequest http, string name, int fallback, int min, int max, Dictionary<string, string[]> errors)
    {
        if (!http.Query.TryGetValue(name, out var values))
        {
            return fallback;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors[name] = [string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {min} to {max}")];
        return fallback;
    }
}
