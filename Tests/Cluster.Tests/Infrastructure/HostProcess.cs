using System.Diagnostics;
using System.Reflection;

using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// One real host (<c>OmaWorkers</c>, <c>Scheduler</c> or <c>VmaAgent</c>) run as a child process from its build output,
/// on its own loopback port, configured by environment variables, its stdout and stderr in a log file.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;

    private HostProcess(string name, Process process, Uri url, string logFile)
    {
        Name = name;
        _process = process;
        Url = url;
        LogFile = logFile;
    }

    public string Name { get; }

    public Uri Url { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <c>dotnet &lt;repo&gt;/&lt;project&gt;/bin/&lt;configuration&gt;/net10.0/&lt;project&gt;.dll --urls http://127.0.0.1:PORT</c>.
    /// </summary>
    /// <param name="unset">Settings of this harness's own (the log format) to leave out, so the host's defaults apply.</param>
    /// <param name="url">The plain HTTP URL to pass as <c>--urls</c> (default: a free loopback port).</param>
    public static HostProcess Start(string name, string project, IReadOnlyDictionary<string, string> environment, string workDirectory,
        IReadOnlyCollection<string>? unset = null, Uri? url = null)
    {
        var dll = Path.Combine(RepositoryRoot, project, "bin", BuildConfiguration, "net10.0", project + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the solution first (./test.sh builds it)", dll);
        }

        url ??= new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}");
        var logFile = Path.Combine(workDirectory, name + ".log");
        Directory.CreateDirectory(workDirectory);

        // bash only redirects both streams into the file and then becomes dotnet (exec): the pid is the host's own,
        // and a host that writes much never blocks on a pipe the test forgot to drain.
        var start = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, WorkingDirectory = workDirectory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("host");
        start.ArgumentList.Add(logFile);
        start.ArgumentList.Add(DotnetHost);
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url.ToString().TrimEnd('/'));

        // Our own settings win over whatever the test runner's environment holds.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                     || k.StartsWith("Bus__", StringComparison.Ordinal) || k.StartsWith("Database__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        start.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__Console__FormatterOptions__IncludeScopes"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        start.Environment["Logging__LogLevel__System.Net.Http"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Extensions.Http"] = "Warning";
        start.Environment["Logging__LogLevel__Polly"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        foreach (var key in unset ?? [])
        {
            start.Environment.Remove(key);
        }

        File.AppendAllText(logFile, $"==== {name}: {project} on {url} ({DateTime.UtcNow:HH:mm:ss.fff} UTC)\n");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        return new HostProcess(name, process, url, logFile);
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (bus connected, store running).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was ready\n{Tail()}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri(Url, "/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout} (last: {last})\n{Tail()}");
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod: the host finishes or returns its in-flight work and exits.</summary>
    public async Task<int> StopGracefullyAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("/bin/kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not stop within {timeout} of SIGTERM\n{Tail()}");
        }

        return _process.ExitCode;
    }

    /// <summary>kill -9 of the whole process tree: nothing is finished, nothing is returned, the connection just drops.</summary>
    public void Kill() => _process.KillTree();

    /// <summary>The last lines of the host's log, for a failure message.</summary>
    public string Tail(int lines = 60)
    {
        try
        {
            var all = File.ReadAllLines(LogFile);
            return $"---- {Name} ({LogFile}), last {Math.Min(lines, all.Length)} of {all.Length} lines\n"
                + string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException ex)
        {
            return $"---- {Name}: log unreadable: {ex.Message}";
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }


    /// <summary>The checkout: the folder above the test assembly that holds <c>Migration.sln</c>.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Debug or Release: the hosts are taken from the same configuration as this test assembly.</summary>
    public static string BuildConfiguration { get; } =
        typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Debug";

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Migration.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Migration.sln above {AppContext.BaseDirectory}");
    }
}
