using System.Diagnostics;
using System.Net;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// One host of the system (<c>dotnet &lt;Host&gt;.dll</c> from the build output) with its own environment, its output in
/// a log file, killed (with its process tree) when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;

    private ChildProcess(string name, Process process, StreamWriter log, Uri url)
    {
        Name = name;
        this.process = process;
        this.log = log;
        Url = url;
    }

    public string Name { get; }

    public Uri Url { get; set; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string LogPath { get; private init; } = "";

    public static ChildProcess Start(
        string name, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logDirectory, int? port)
    {
        if (!File.Exists(dll))
        {
            throw new BenchmarkSetupException($"{dll} not found: build first with `dotnet build -c Release Migration.sln`");
        }

        var url = new Uri($"http://127.0.0.1:{port ?? 0}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = logDirectory,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (port is not null)
        {
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add(url.ToString().TrimEnd('/'));
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var logPath = Path.Combine(logDirectory, name + ".log");
        // Appended to: a host started again (the chaos run restarts hosts) keeps its earlier life in the same log.
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, log, url) { LogPath = logPath };
    }

    /// <summary>Waits for <c>/health/ready</c> (or <paramref name="path"/>) to answer 200.</summary>
    public async Task WaitReadyAsync(HttpClient client, TimeSpan timeout, string path = "/health/ready")
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new BenchmarkSetupException($"{Name} exited with code {process.ExitCode} during start-up; see {LogPath}:\n{Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(Url, path));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new BenchmarkSetupException($"{Name} was not ready at {Url}{path} within {timeout}; see {LogPath}:\n{Tail()}");
    }

    public string Tail(int lines = 20)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Sends one line to the process's standard input.</summary>
    public async Task SendLineAsync(string line)
    {
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod; SIGKILL when it has not exited within <paramref name="timeout"/>.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("/bin/kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public int? ExitCode => process.HasExited ? process.ExitCode : null;


    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }

        process.Dispose();
        lock (log)
        {
            log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream is { CanWrite: true })
            {
                log.WriteLine(line);
            }
        }
    }
}
