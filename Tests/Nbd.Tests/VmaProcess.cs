using System.Diagnostics;
using Migration.Tests.Support;

namespace Migration.Tests.Nbd;

/// <summary>The VMA agent as a process of its own (<c>dotnet VmaAgent.dll</c>), which a test can SIGKILL and start again.</summary>
public sealed class VmaProcess : IAsyncDisposable
{
    private readonly Process _process;

    private VmaProcess(Process process, Uri url, string log)
    {
        _process = process;
        Url = url;
        LogFile = log;
    }

    public Uri Url { get; }

    public string LogFile { get; }

    public static async Task<VmaProcess> StartAsync(IReadOnlyDictionary<string, string> settings, string log, int? port = null)
    {
        var url = new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://127.0.0.1:{port ?? LoopbackPorts.Next()}"));
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(log)! };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null");
        info.ArgumentList.Add("vma");
        info.ArgumentList.Add(log);
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "VmaAgent.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url.ToString().TrimEnd('/'));
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("Vma__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var vma = new VmaProcess(Process.Start(info) ?? throw new InvalidOperationException("the VMA did not start"), url, log);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (vma._process.HasExited)
            {
                throw new InvalidOperationException($"the VMA exited with {vma._process.ExitCode}:\n{await File.ReadAllTextAsync(log)}");
            }

            try
            {
                if ((await http.GetAsync(new Uri(url, "/health/live"))).IsSuccessStatusCode)
                {
                    return vma;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                vma._process.Kill();
                throw new TimeoutException($"the VMA did not answer within 60 s:\n{await File.ReadAllTextAsync(log)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL by pid: nothing is finished, flushed or cleaned up.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>SIGTERM by pid, what Kubernetes sends on a rolling update; the exit code once it has stopped (within 60 s).</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

}
