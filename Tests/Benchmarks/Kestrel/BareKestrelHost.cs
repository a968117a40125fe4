using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks.Kestrel;

/// <summary>
/// The reference of <c>vma-vs-kestrel</c>, run as its own process: Kestrel with nothing but one route that answers
/// <c>GET /api/v1/progress/{jobId}</c> with bytes read from <c>--bodies DIR</c> (one file per job id, captured from
/// the VMA), so both servers send the same bytes and the difference is what the VMA adds.
/// </summary>
public static class BareKestrelHost
{
    public const string Command = "bare-kestrel";

    public static async Task<int> RunAsync(string[] arguments)
    {
        var args = new BenchmarkArgs(arguments);
        var directory = args.Option("bodies") ?? throw new BenchmarkSetupException("--bodies is required");
        var url = args.Option("urls") ?? throw new BenchmarkSetupException("--urls is required");
        var bodies = Directory.GetFiles(directory).ToFrozenDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(url);
        await using var app = builder.Build();
        app.MapGet("/api/v1/progress/{jobId}", (string jobId) =>
            bodies.TryGetValue(jobId, out var body) ? Results.Bytes(body, "application/json") : Results.NotFound());
        app.MapGet("/health/ready", () => Results.Ok());
        await app.RunAsync();
        return 0;
    }
}
