using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Migration.Tests.Trust;

/// <summary>A VMA of our own on real Kestrel that answers the progress endpoint with whatever the test sets.</summary>
public sealed class MisbehavingVma : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MisbehavingVma(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The answer to <c>GET /api/v1/progress/{jobId}</c>.</summary>
    public Func<string, HttpContext, Task> Answer { get; set; } = (_, context) =>
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<MisbehavingVma> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        MisbehavingVma? vma = null;
        app.MapGet("/api/v1/progress/{jobId}", (string jobId, HttpContext context) =>
        {
            vma!.Requests.Enqueue(jobId);
            return vma.Answer(jobId, context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        vma = new MisbehavingVma(app, new Uri(address));
        return vma;
    }

    public static Func<string, HttpContext, Task> Json(string json) => (_, context) =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
