using Microsoft.AspNetCore.Http.HttpResults;
using Migration.Contracts.Text;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;
using Migration.VmaAgent.Telemetry;

namespace Migration.VmaAgent.Api;

/// <summary>The VMA HTTP API, version 1 (SPEC.md "VMA HTTP API").</summary>
public static class ReplicationEndpoints
{
    public static IEndpointRouteBuilder MapReplicationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").AddEndpointFilter<ShuttingDownFilter>();
        api.MapPost("/replications", StartAsync);
        api.MapGet("/progress/{jobId}", GetProgress);
        api.MapPost("/progress/batch", ProgressBatchEndpoint.AnswerAsync);
        api.MapDelete("/replications/{jobId}", Cancel);
        return endpoints;
    }

    /// <summary>
    /// 202 started (or the same body again); 400 invalid field or unknown VM; 409 same id, other body; 413 body over
    /// 64 KiB; 415 not JSON; 503 too many jobs kept (SPEC: invalid input is 400 naming the field).
    /// </summary>
    public static async Task<IResult> StartAsync(HttpRequest http, JobRegistry registry, IReplicationSource source, TargetPolicy targets,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(ReplicationEndpoints).FullName!);
        var body = await JsonBody.ReadAsync(http, logger, optional: false, cancellationToken);
        if (body.Refusal is not null)
        {
            return body.Refusal;
        }

        var parsed = StartRequestParser.Parse(body.Body);
        if (parsed.IsValid)
        {
            AddTargetRefusals(parsed, targets);
        }

        if (!parsed.IsValid)
        {
            return Invalid(parsed.Errors);
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
                detail: $"vm: no VM matches {SafeText.Escape(request.Vm!.Display, 200)} in the {source.Kind} inventory",
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["vm"] = ["no such VM"] } });
        }

        if (UnknownDisks(request, vm) is { Count: > 0 } unknownDisks)
        {
            return Invalid(unknownDisks);
        }

        if (!registry.MakeRoom())
        {
            return TypedResults.Problem(
                title: "Too many jobs",
                detail: "this agent keeps as many jobs as Vma:Jobs:MaxRetainedJobs allows and all of them are still running; try again later",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var (job, created) = registry.GetOrStart(jobId, fingerprint, request, vm);
        return created ? Accepted(job) : Existing(job, fingerprint);
    }

    private static void AddTargetRefusals(StartRequestParser.Result parsed, TargetPolicy targets)
    {
        foreach (var (diskId, disk) in parsed.Request!.Target?.Disks ?? new Dictionary<string, TargetDisk>())
        {
            if (disk?.Uri is { } uri && targets.Check(uri) is { } refusal)
            {
                parsed.Errors[$"target.disks.{SafeText.Escape(diskId, 128)}.uri"] = [refusal];
            }
        }
    }

    /// <summary>previous_change_ids and target.disks may only name disks the VM has.</summary>
    private static Dictionary<string, string[]> UnknownDisks(StartReplicationRequest request, SourceVm vm)
    {
        var disks = vm.Disks.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var known = $"{vm.Disks.Count} disk(s): {string.Join(", ", disks.Select(d => SafeText.Escape(d, 64)))}";
        foreach (var diskId in (request.PreviousChangeIds?.Keys ?? []).Where(id => !disks.Contains(id)))
        {
            errors[$"previous_change_ids.{SafeText.Escape(diskId, 128)}"] = [$"the VM has no such disk; it has {known}"];
        }

        foreach (var diskId in (request.Target?.Disks.Keys ?? []).Where(id => !disks.Contains(id)))
        {
            errors[$"target.disks.{SafeText.Escape(diskId, 128)}"] = [$"the VM has no such disk; it has {known}"];
        }

        return errors;
    }

    private static IResult Invalid(Dictionary<string, string[]> errors) => InvalidRequest.Problem("The start request is invalid", errors);

    /// <summary>200 the progress document; 404 unknown job.</summary>
    public static IResult GetProgress(string jobId, JobRegistry registry, VmaMetrics metrics)
    {
        if (registry.Find(jobId) is not { } job)
        {
            return UnknownJob(jobId);
        }

        metrics.ProgressDocumentsServed(1);
        return TypedResults.Bytes(job.Snapshot.Json, "application/json");
    }

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
        TypedResults.Problem(title: "Unknown job", detail: $"no job with id {SafeText.Escape(jobId, 300)} is known to this VMA", statusCode: StatusCodes.Status404NotFound);

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
