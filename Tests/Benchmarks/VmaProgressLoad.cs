using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Migration.VmaAgent;

namespace Migration.Benchmarks;

/// <summary>
/// Load figure for the VMA progress endpoint: the real agent on Kestrel (127.0.0.1, a free port) runs N simulated
/// jobs while GET /api/v1/progress/{id} is driven open-loop at a fixed rate over loopback with a real HttpClient.
/// Latency is measured from each request's scheduled time, so a slow server cannot hide queueing (no coordinated
/// omission). Options: --jobs 100 --rate 1000 --duration 20 --cap 256KiB --disk-size 16MiB.
/// </summary>
public static class VmaProgressLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = IntArg(args, "--jobs", 100);
        var rate = IntArg(args, "--rate", 1000);
        var duration = TimeSpan.FromSeconds(IntArg(args, "--duration", 20));
        var cap = StringArg(args, "--cap", "256KiB");
        var diskSize = StringArg(args, "--disk-size", "16MiB");
        var targetDirectory = Path.Combine(Path.GetTempPath(), "vma-progress-load-" + Guid.NewGuid().ToString("N"));

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vma:Simulated:VmCount"] = jobs.ToString(CultureInfo.InvariantCulture),
            ["Vma:Simulated:DiskSize"] = diskSize,
            ["Vma:Jobs:MaxConcurrentJobs"] = jobs.ToString(CultureInfo.InvariantCulture),
            ["Vma:Jobs:ThroughputCapPerJob"] = cap,
            ["Vma:Target:Directory"] = targetDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddVmaAgent(builder.Configuration);
        await using var app = builder.Build();
        app.MapVmaAgent();
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 256,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            {
                BaseAddress = new Uri(address),
                Timeout = TimeSpan.FromSeconds(10),
            };

            var jobIds = Enumerable.Range(1, jobs).Select(i => string.Create(CultureInfo.InvariantCulture, $"load-{i}")).ToArray();
            for (var i = 0; i < jobs; i++)
            {
                var body = """{"job_id":"JOB","vm":{"name":"VM"}}"""
                    .Replace("JOB", jobIds[i], StringComparison.Ordinal)
                    .Replace("VM", string.Create(CultureInfo.InvariantCulture, $"demo-vm-{i + 1}"), StringComparison.Ordinal);
                using var started = await client.PostAsync("/api/v1/replications", new StringContent(body, Encoding.UTF8, "application/json"));
                started.EnsureSuccessStatusCode();
            }

            // Warm the connection pool and JIT before the measured run.
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.GetAsync($"/api/v1/progress/{jobIds[i % jobs]}")));

            var result = await DriveAsync(client, jobIds, rate, duration);
            var running = 0;
            foreach (var id in jobIds)
            {
                var json = await client.GetStringAsync($"/api/v1/progress/{id}");
                running += json.Contains("\"status\":\"Streaming\"", StringComparison.Ordinal) ? 1 : 0;
            }

            Console.WriteLine(result.Format(jobs, rate, duration, cap, diskSize, running));
            Console.WriteLine(ServerTime(await client.GetStringAsync("/metrics")));
            if (args.Contains("--timeline"))
            {
                Console.WriteLine(result.Timeline(rate));
            }

            foreach (var id in jobIds)
            {
                using var _ = await client.DeleteAsync($"/api/v1/replications/{id}");
            }

            return result.Errors == 0 ? 0 : 1;
        }
        finally
        {
            await app.StopAsync();
            if (Directory.Exists(targetDirectory))
            {
                Directory.Delete(targetDirectory, recursive: true);
            }
        }
    }

    private static async Task<LoadResult> DriveAsync(HttpClient client, string[] jobIds, int rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var statuses = new int[total];
        var inFlight = new List<Task>(total);
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < total)
        {
            var now = clock.Elapsed;
            while (next < total && interval * next <= now)
            {
                inFlight.Add(SendAsync(client, jobIds[next % jobIds.Length], interval * next, clock, latencies, statuses, next));
                next++;
            }

            await Task.Delay(1);
        }

        var sendWindow = clock.Elapsed;
        await Task.WhenAll(inFlight);
        var drained = clock.Elapsed;
        return new LoadResult(latencies, statuses, sendWindow, drained);
    }

    private static async Task SendAsync(HttpClient client, string jobId, TimeSpan scheduled, Stopwatch clock,
        double[] latencies, int[] statuses, int index)
    {
        try
        {
            using var response = await client.GetAsync($"/api/v1/progress/{jobId}", HttpCompletionOption.ResponseContentRead);
            statuses[index] = (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            statuses[index] = -1;
        }

        latencies[index] = (clock.Elapsed - scheduled).TotalMilliseconds;
    }

    /// <summary>Server-side time of the progress route, from the agent's own http.server.request.duration histogram.</summary>
    private static string ServerTime(string prometheusText)
    {
        const string route = "http_route=\"/api/v1/progress/{jobId}\"";
        double Value(string metric, string? extra = null) => prometheusText.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains(route, StringComparison.Ordinal)
                && line.Contains("http_request_method=\"GET\"", StringComparison.Ordinal)
                && (extra is null || line.Contains(extra, StringComparison.Ordinal)))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

        var count = Value("http_server_request_duration_seconds_count");
        var sum = Value("http_server_request_duration_seconds_sum");
        var under5Ms = Value("http_server_request_duration_seconds_bucket", "le=\"0.005\"");
        return count == 0
            ? "server time: no http.server.request.duration samples for the progress route"
            : string.Create(CultureInfo.InvariantCulture,
                $"server time (ASP.NET Core http.server.request.duration, progress route, {count:0} requests): mean {sum / count * 1000:0.000} ms, {under5Ms / count * 100:0.00}% under 5 ms");
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string StringArg(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private sealed record LoadResult(double[] Latencies, int[] Statuses, TimeSpan SendWindow, TimeSpan Drained)
    {
        /// <summary>Per second of the run: p99 and max, to tell a steady tail from start-up or periodic stalls.</summary>
        public string Timeline(int rate)
        {
            var text = new StringBuilder("second  p99 ms   max ms");
            for (var start = 0; start < Latencies.Length; start += rate)
            {
                var second = Latencies.Skip(start).Take(rate).Order().ToArray();
                text.AppendLine().Append(CultureInfo.InvariantCulture,
                    $"{start / rate,-7} {second[Math.Min(second.Length - 1, (int)(second.Length * 0.99))],-8:0.00} {second[^1],-8:0.00}");
            }

            return text.ToString();
        }

        public int Errors => Statuses.Count(s => s != 200);

        public string Format(int jobs, int rate, TimeSpan duration, string cap, string diskSize, int streamingAtEnd)
        {
            var sorted = Latencies.Order().ToArray();
            double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"VMA progress load: GET /api/v1/progress/{{id}}, open loop over loopback (Kestrel 127.0.0.1, HttpClient)");
            text.AppendLine(CultureInfo.InvariantCulture, $"jobs {jobs} (simulated, {diskSize} disks, cap {cap}/s each; {streamingAtEnd} still Streaming at the end), target rate {rate}/s for {duration.TotalSeconds:0} s");
            text.AppendLine(CultureInfo.InvariantCulture, $"{"requests",-10} {"ok",-8} {"errors",-7} {"rate/s",-9} {"p50 ms",-8} {"p90 ms",-8} {"p99 ms",-8} {"max ms",-8}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{sorted.Length,-10} {Statuses.Count(s => s == 200),-8} {Errors,-7} {sorted.Length / Drained.TotalSeconds,-9:0.0} {Percentile(50),-8:0.00} {Percentile(90),-8:0.00} {Percentile(99),-8:0.00} {sorted[^1],-8:0.00}");
            text.Append(CultureInfo.InvariantCulture, $"(latency from each request's scheduled send time; sending took {SendWindow.TotalSeconds:0.00} s, all answered after {Drained.TotalSeconds:0.00} s)");
            return text.ToString();
        }
    }
}
