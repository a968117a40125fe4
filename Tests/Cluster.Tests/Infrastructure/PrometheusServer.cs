using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package) on a loopback port, scraping the given targets every second
/// and evaluating the repository's alert rules every second; its data lives in the run's directory. Disposing kills it.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;

    private PrometheusServer(Process process, Uri url, string logFile)
    {
        _process = process;
        Url = url;
        LogFile = logFile;
    }

    public Uri Url { get; }

    public string LogFile { get; }

    /// <param name="targets">Scrape job name → <c>host:port</c> targets (path <c>/metrics</c>).</param>
    public static PrometheusServer Start(string workDirectory, IReadOnlyDictionary<string, string[]> targets, string ruleFile)
    {
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("prometheus is not installed: scripts/servers.sh (servers_install) installs Debian's prometheus");
        var directory = Path.Combine(workDirectory, "prometheus");
        Directory.CreateDirectory(directory);
        var config = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
              evaluation_interval: 1s
            rule_files:

            """);
        config.Append(CultureInfo.InvariantCulture, $"  - '{ruleFile}'\nscrape_configs:\n");
        foreach (var (job, addresses) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: '{job}'\n    static_configs:\n      - targets: [{string.Join(", ", addresses.Select(a => $"'{a}'"))}]\n");
        }

        var configFile = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(configFile, config.ToString());

        var url = new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}");
        var logFile = Path.Combine(workDirectory, "prometheus.log");
        var start = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, WorkingDirectory = directory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("prometheus");
        start.ArgumentList.Add(logFile);
        start.ArgumentList.Add(binary);
        start.ArgumentList.Add($"--config.file={configFile}");
        start.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(directory, "data")}");
        start.ArgumentList.Add($"--web.listen-address={url.Authority}");
        start.ArgumentList.Add("--storage.tsdb.retention.time=1h");
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        return new PrometheusServer(process, url, logFile);
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Tail()}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri(Url, "/-/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // busy machine
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"prometheus was not ready within {timeout}:\n{Tail()}");
    }

    /// <summary>GET /api/v1/query_range from <paramref name="start"/> to now, every second: the <c>data</c> element.</summary>
    public Task<JsonElement> QueryRangeAsync(string expr, DateTimeOffset start) =>
        GetDataAsync("/api/v1/query_range?query=" + Uri.EscapeDataString(expr)
            + "&start=" + start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)
            + "&end=" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "&step=1");

    public Task<JsonElement> QueryAsync(string expr) => GetDataAsync("/api/v1/query?query=" + Uri.EscapeDataString(expr));

    public Task<JsonElement> RulesAsync() => GetDataAsync("/api/v1/rules");

    public Task<JsonElement> TargetsAsync() => GetDataAsync("/api/v1/targets");

    public string Tail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException ex)
        {
            return $"(no log: {ex.Message})";
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }

    private async Task<JsonElement> GetDataAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri(Url, pathAndQuery));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (!response.IsSuccessStatusCode || root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"prometheus {pathAndQuery}: HTTP {(int)response.StatusCode} {body}");
        }

        return root.GetProperty("data").Clone();
    }
}
