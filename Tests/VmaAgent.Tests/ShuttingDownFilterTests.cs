using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Hosting;
using Migration.VmaAgent.Api;

namespace Migration.Tests.VmaAgent;

public sealed class ShuttingDownFilterTests
{
    [Fact]
    public async Task A_running_agent_passes_the_call_on()
    {
        var lifetime = new Lifetime();
        var filter = new ShuttingDownFilter(lifetime);
        var result = await filter.InvokeAsync(Context(), _ => ValueTask.FromResult<object?>("answered"));
        Assert.Equal("answered", result);
    }

    [Fact]
    public async Task A_stopping_agent_answers_503_and_never_reaches_the_endpoint()
    {
        var lifetime = new Lifetime();
        var filter = new ShuttingDownFilter(lifetime);
        lifetime.StopApplication();
        var context = Context();
        var reached = false;

        var result = await filter.InvokeAsync(context, _ =>
        {
            reached = true;
            return ValueTask.FromResult<object?>("answered");
        });

        Assert.False(reached);
        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal("5", context.HttpContext.Response.Headers.RetryAfter.ToString());
    }

    private static DefaultEndpointFilterInvocationContext Context() => new(new DefaultHttpContext());

    private sealed class Lifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();
    }
}
