using System.Diagnostics;
using System.Globalization;
using System.Text;
using Migration.Benchmarks.Pipeline;
using Migration.Tests.Support;

namespace Migration.Benchmarks.Kestrel;

/// <summary>
/// <c>vma-vs-kestrel [--jobs 100 --rounds 3 --seconds 10 --connections 32]</c>: the VMA's
/// <c>GET /api/v1/progress/{jobId}</c>, as operators run it (<c>dotnet VmaAgent.dll</c> with its shipped
/// appsettings.json, N simulated jobs streaming), against a bare Kestrel process serving the bytes captured from the
/// VMA for the same ids. Both are driven by wrk (Debian's <c>wrk</c>) over loopback, alternating, several rounds; the
/// figure is the median of each side's requests per second and their ratio.
/// </summary>
public static class ProgressVsKestrel
{
    public const string Command = "vma-vs-kestrel";

    public static async Task<int> RunAsync(string[] arguments)
    {
        var args = new BenchmarkArgs(arguments);
        var jobs = args.Int("jobs", 100);
        var rounds = args.Int("rounds", 3);
        var seconds = args.Int("seconds", 10);
        var connections = args.Int("connections", 32);
        var repository = args.Option("repo") ?? PipelineLoad.FindRepository();
        var wrk = Wrk.Find();
        var run = Directory.CreateTempSubdirectory("vma-vs-kestrel-").FullName;
        var settings = new PipelineSettings { Jobs = jobs, Repository = repository };
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await using var vma = ChildProcess.Start(
                "VmaAgent", settings.HostDll("VmaAgent"), [], settings.VmaEnvironment(Path.Combine(run, "targets")), run, LoopbackPorts.Next());
            await vma.WaitReadyAsync(client, TimeSpan.FromSeconds(60));
            var ids = await StartJobsAsync(client, vma.Url, jobs);
            var bodies = Directory.CreateDirectory(Path.Combine(run, "bodies")).FullName;
            var bytes = 0L;
            foreach (var id in ids)
            {
                var body = await client.GetByteArrayAsync(new Uri(vma.Url, "/api/v1/progress/" + id));
                bytes += body.Length;
                await File.WriteAllBytesAsync(Path.Combine(bodies, id), body);
            }

            var benchmarkDll = typeof(ProgressVsKestrel).Assembly.Location;
            var barePort = LoopbackPorts.Next();
            await using var bare = ChildProcess.Start(
                "bare-kestrel", benchmarkDll, [BareKestrelHost.Command, "--bodies", bodies, "--urls", $"http://127.0.0.1:{barePort}"],
                new Dictionary<string, string>(), run, port: null);
            bare.Url = new Uri($"http://127.0.0.1:{barePort}");
            await bare.WaitReadyAsync(client, TimeSpan.FromSeconds(60));

            var script = Path.Combine(run, "paths.lua");
            await File.WriteAllTextAsync(script, Wrk.RotatingPathsScript("/api/v1/progress/", ids));
            Console.WriteLine($"VMA progress vs bare Kestrel: {jobs} jobs streaming, {bytes / jobs} bytes per document on average, " +
                              $"wrk {connections} connections, {rounds} rounds of {seconds} s each, alternating; load average {ProcStats.LoadAverage()}");

            // What the VMA spends with no request at all (its jobs' own work), so the per-request figure can be read net of it.
            var idleBefore = ProcStats.CpuSeconds(vma.Pid);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"vma cpu with no requests: {(ProcStats.CpuSeconds(vma.Pid) - idleBefore) / 3 * 1000:F1} ms/s"));

            // Warm both (JIT, connection set-up) before anything is measured.
            await wrk.RunAsync(vma.Url, script, connections, 3);
            await wrk.RunAsync(bare.Url, script, connections, 3);
            var vmaRates = new List<double>();
            var bareRates = new List<double>();
            var vmaCosts = new List<double>();
            var bareCosts = new List<double>();
            Console.WriteLine("round  server        requests/s   p99 ms   cpu us/request   non-2xx");
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, server, rates, costs) in new[] { ("vma", vma, vmaRates, vmaCosts), ("bare-kestrel", bare, bareRates, bareCosts) })
                {
                    var cpuBefore = ProcStats.CpuSeconds(server.Pid);
                    var result = await wrk.RunAsync(server.Url, script, connections, seconds);
                    var cpuPerRequest = (ProcStats.CpuSeconds(server.Pid) - cpuBefore) * 1e6 / (result.RequestsPerSecond * seconds);
                    if (result.Errors > 0)
                    {
                        throw new BenchmarkSetupException($"{name} answered {result.Errors} requests with errors or non-2xx in round {round}");
                    }

                    rates.Add(result.RequestsPerSecond);
                    costs.Add(cpuPerRequest);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{round,-6} {name,-13} {result.RequestsPerSecond,10:F0}   {result.P99Milliseconds,6:F2}   {cpuPerRequest,14:F1}   {result.Errors}"));
                }
            }

            var vmaMedian = Median(vmaRates);
            var bareMedian = Median(bareRates);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"vma progress requests/s (median): {vmaMedian:F0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare kestrel requests/s (median): {bareMedian:F0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"server cpu us per request (median): vma {Median(vmaCosts):F1}, bare kestrel {Median(bareCosts):F1}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio vma/bare-kestrel (progress): {vmaMedian / bareMedian:F2}"));
            return 0;
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static async Task<string[]> StartJobsAsync(HttpClient client, Uri vma, int jobs)
    {
        var ids = Enumerable.Range(1, jobs).Select(i => string.Create(CultureInfo.InvariantCulture, $"kestrel-{i}")).ToArray();
        for (var i = 0; i < jobs; i++)
        {
            var body = string.Create(CultureInfo.InvariantCulture, $$$"""{"job_id":"{{{ids[i]}}}","vm":{"name":"demo-vm-{{{i + 1}}}"}}""");
            using var started = await client.PostAsync(new Uri(vma, "/api/v1/replications"), new StringContent(body, Encoding.UTF8, "application/json"));
            started.EnsureSuccessStatusCode();
        }

        // The documents compared are those of streaming jobs, as most polls see them.
        var deadline = Stopwatch.StartNew();
        foreach (var id in ids)
        {
            while (!(await client.GetStringAsync(new Uri(vma, "/api/v1/progress/" + id))).Contains("\"status\":\"Streaming\"", StringComparison.Ordinal))
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new BenchmarkSetupException($"job {id} was not streaming within 60 s");
                }

                await Task.Delay(100);
            }
        }

        return ids;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
