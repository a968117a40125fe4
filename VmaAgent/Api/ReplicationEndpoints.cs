using Microsoft.AspNetCore.Http.HttpResults;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Api;

/// <summary>The VMA HTTP API, version 1 (SPEC.md "VMA HTTP API").</summary>
public static class ReplicationEndpoints
{
    public static IEndpointRouteBuilder MapReplicationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1");
        api.MapPost("/replications", StartAsync);
        api.MapGet("/progress/{jobId}", GetProgress);
        api.MapDelete("/replications/{jobId}", Cancel);
        return endpoints;
    }

    /// <summary>202 started (or the same body again); 400 invalid field; 409 same id, other body or unknown VM (SPEC: invalid input is 400 naming the field).</summary>
    public static async Task<IResult> StartAsync(HttpRequest http, JobRegistry registry, IReplicationSource source, CancellationToken cancellationToken)
    {
        var parsed = await StartRequestParser.ReadAsync(http.Body, cancellationToken);
        if (!parsed.IsValid)
        {
            return TypedResults.ValidationProblem(parsed.Errors, title: "The start request is invalid",
                detail: string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        }

        var request = parsed.Request!;
        var jobId = request.JobId!;
        var fingerprint = StartRequestParser.Fingerprint(request);
        if (registry.Find(jobId) is { } known)
        {
            return Existing(known, fingerprint);
        }

        SourceVm? vm;
        try
        {
            vm = await source.FindVmAsync(request.Vm!, cancellationToken);
        }
        catch (AmbiguousVmException ex)
        {
            return TypedResults.Problem(title: "Ambiguous VM", detail: $"vm: {ex.Message}", statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["vm"] = [ex.Message] } });
        }
        catch (SourceUnavailableException ex)
        {
            // 422, not 503: the OMA fails the job at once with this message instead of waiting out its contact timeout.
            return TypedResults.Problem(title: $"The {source.Kind} source cannot answer", detail: ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        if (vm is null)
        {
            return TypedResults.Problem(
                title: "Unknown VM",
                detail: $"vm: no VM matches {request.Vm!.Display} in the {source.Kind} inventory",
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["vm"] = ["no such VM"] } });
        }

        var (job, created) = registry.GetOrStart(jobId, fingerprint, request, vm);
        return created ? Accepted(job) : Existing(job, fingerprint);
    }

    /// <summary>200 the progress document; 404 unknown job.</summary>
    public static IResult GetProgress(string jobId, JobRegistry registry) =>
        registry.Find(jobId) is { } job
            ? TypedResults.Bytes(job.Snapshot.Json, "application/json")
            : UnknownJob(jobId);

    /// <summary>202 cancelling (the job ends Failed: cancelled); 404 unknown; 409 already finished.</summary>
    public static IResult Cancel(string jobId, JobRegistry registry)
    {
        if (registry.Find(jobId) is not { } job)
        {
            return UnknownJob(jobId);
        }

        return job.RequestCancel()
            ? Accepted(job)
            : TypedResults.Problem(
                title: "Job already finished",
                detail: $"job {jobId} already ended {job.Snapshot.Document.Status}; there is nothing to cancel",
                statusCode: StatusCodes.Status409Conflict);
    }

    private static IResult Existing(ReplicationJob job, string fingerprint) =>
        job.Fingerprint == fingerprint
            ? Accepted(job)
            : TypedResults.Problem(
                title: "Job id already used",
                detail: $"job_id: job {job.JobId} was started with a different request; a job id names one request only",
                statusCode: StatusCodes.Status409Conflict);

    private static IResult Accepted(ReplicationJob job) =>
        new AcceptedWithBody($"/api/v1/progress/{Uri.EscapeDataString(job.JobId)}", job.Snapshot.Json);

    private static ProblemHttpResult UnknownJob(string jobId) =>
        TypedResults.Problem(title: "Unknown job", detail: $"no job with id {jobId} is known to this VMA", statusCode: StatusCodes.Status404NotFound);

    /// <summary>202 with a Location header and the current progress document.</summary>
    private sealed class AcceptedWithBody(string location, byte[] json) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status202Accepted;
            httpContext.Response.Headers.Location = location;
            httpContext.Response.ContentType = "application/json";
            return httpContext.Response.Body.WriteAsync(json).AsTask();
        }
    }
}
