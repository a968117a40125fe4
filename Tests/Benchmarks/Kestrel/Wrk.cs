using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks.Kestrel;

/// <summary>Debian's wrk, run to completion with a Lua script; its summary read back as figures.</summary>
public sealed partial class Wrk(string path)
{
    public sealed record Result(double RequestsPerSecond, double P99Milliseconds, long Errors);

    public static Wrk Find() =>
        new[] { "/usr/bin/wrk", "/usr/local/bin/wrk" }.FirstOrDefault(File.Exists) is { } path
            ? new Wrk(path)
            : throw new BenchmarkSetupException("wrk not found: install Debian's wrk (sudo apt-get install wrk)");

    /// <summary>A script that sends GET PREFIX{id} for each id in turn.</summary>
    public static string RotatingPathsScript(string prefix, IEnumerable<string> ids)
    {
        var script = new StringBuilder("local paths = {\n");
        foreach (var id in ids)
        {
            script.Append("  \"").Append(prefix).Append(Uri.EscapeDataString(id)).Append("\",\n");
        }

        return script.Append("""
            }
            local i = 0
            request = function()
              i = i % #paths + 1
              return wrk.format("GET", paths[i])
            end
            """).ToString();
    }

    public async Task<Result> RunAsync(Uri url, string script, int connections, int seconds)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture),
                     "-d", seconds.ToString(CultureInfo.InvariantCulture) + "s", "--latency", "-s", script, url.ToString() })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(seconds + 30));
        var text = await output;
        if (process.ExitCode != 0 || RequestsPerSecond().Match(text) is not { Success: true } rate)
        {
            throw new BenchmarkSetupException($"wrk failed (exit {process.ExitCode}): {await error}{text}");
        }

        var non2xx = Non2xx().Match(text) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var socketErrors = SocketErrors().Match(text) is { Success: true } s
            ? s.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture))
            : 0;
        return new Result(double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), P99(text), non2xx + socketErrors);
    }

    private static double P99(string text)
    {
        if (Percentile99().Match(text) is not { Success: true } match)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"\n\s+99%\s+([0-9.]+)(us|ms|s)\b")]
    private static partial Regex Percentile99();
}
