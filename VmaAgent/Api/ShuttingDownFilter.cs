namespace Migration.VmaAgent.Api;

/// <summary>
/// Answers 503 to every API call once the host is stopping. Jobs are cancelled by the same signal, and Kestrel keeps
/// serving until the hosted services have stopped: without this, a poll in that window reads a job that is Failed only
/// because this agent is going away, and the OMA would end a job that a restarted agent could carry on.
/// </summary>
public sealed class ShuttingDownFilter(IHostApplicationLifetime lifetime) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.RetryAfter = "5";
        return ValueTask.FromResult<object?>(TypedResults.Problem(
            title: "The VMA is shutting down",
            detail: "this agent is stopping; ask again once it is back",
            statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
