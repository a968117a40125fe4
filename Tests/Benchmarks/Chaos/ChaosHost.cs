using System.Net;
using System.Net.Sockets;
using Migration.Benchmarks.Pipeline;

namespace Migration.Benchmarks.Chaos;

/// <summary>
/// One host of the chaos run that faults kill and start again: always the same dll, environment, port and log file,
/// so the others (the OMA's jobs name the VMA's URL) find it again. Knows whether its current life got ready, and
/// tells an exit nobody asked for apart: before ready (it refused to start, e.g. its database was down) or after (a crash).
/// </summary>
public sealed class ChaosHost(string name, string dll, IReadOnlyDictionary<string, string> environment, string logDirectory, int port) : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Lock gate = new();
    private ChildProcess? current;
    private bool expectedDown = true;
    private volatile bool ready;

    public string Name { get; } = name;

    public Uri Url { get; } = new($"http://127.0.0.1:{port}");

    public string LogPath => Path.Combine(logDirectory, Name + ".log");

    /// <summary>Exits of a running, ready host nobody asked for.</summary>
    public List<string> Crashes { get; } = [];

    /// <summary>Exits before the host got ready: it refused to start (its last line says why).</summary>
    public List<string> StartRefusals { get; } = [];

    public bool IsReady => ready && IsRunning;

    public bool IsRunning
    {
        get
        {
            lock (gate)
            {
                return current is { HasExited: false };
            }
        }
    }

    public async Task StartAsync()
    {
        ChildProcess? leftover;
        lock (gate)
        {
            NoteUnexpectedExit();
            leftover = current;
            current = null;
        }

        if (leftover is not null)
        {
            await leftover.DisposeAsync();
        }

        ChildProcess started;
        lock (gate)
        {
            started = current = ChildProcess.Start(Name, dll, [], environment, logDirectory, port);
            expectedDown = false;
            ready = false;
        }

        _ = WatchReadinessAsync(started);
    }

    /// <summary>Waits until the current life is ready; false when it exited or did not get ready in time.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (IsReady)
            {
                return true;
            }

            if (!IsRunning)
            {
                return false;
            }

            await Task.Delay(250);
        }

        return false;
    }

    /// <summary>kill -9: nothing is finished or handed back; the broker returns its unacknowledged messages.</summary>
    public Task KillAsync() => TakeDownAsync(process => process.DisposeAsync().AsTask());

    /// <summary>SIGTERM, as a rolling restart stops a pod.</summary>
    public Task StopAsync(TimeSpan timeout) => TakeDownAsync(async process =>
    {
        await process.TerminateAsync(timeout);
        await process.DisposeAsync();
    });

    private async Task TakeDownAsync(Func<ChildProcess, Task> takeDown)
    {
        ChildProcess? process;
        lock (gate)
        {
            NoteUnexpectedExit();
            expectedDown = true;
            ready = false;
            process = current;
            current = null;
        }

        if (process is not null)
        {
            await takeDown(process);
        }
    }

    /// <summary>What happened when the host is gone although it should run (recorded as a crash or a refusal to start); else null.</summary>
    public string? NoteUnexpectedExit()
    {
        lock (gate)
        {
            if (current is not { HasExited: true } gone || expectedDown)
            {
                return null;
            }

            var lastLine = gone.Tail(3).Split('\n').LastOrDefault(l => l.Length > 0) ?? "";
            var exit = $"{Name}: exit code {gone.ExitCode}{(ready ? " while running" : " before it was ready")}: {(lastLine.Length > 200 ? lastLine[..200] : lastLine)}";
            (ready ? Crashes : StartRefusals).Add(exit);
            expectedDown = true;
            ready = false;
            return exit;
        }
    }

    private async Task WatchReadinessAsync(ChildProcess process)
    {
        while (!process.HasExited && ReferenceEquals(current, process))
        {
            try
            {
                using var response = await Probe.GetAsync(new Uri(Url, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ready = ReferenceEquals(current, process);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    /// <summary>The first <paramref name="count"/> loopback ports from <paramref name="first"/> that nothing listens on.</summary>
    public static int[] FreePorts(int first, int count)
    {
        var ports = new List<int>();
        for (var port = first; ports.Count < count && port < first + 1000; port++)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // taken
            }
        }

        return ports.Count == count ? [.. ports] : throw new BenchmarkSetupException($"no {count} free loopback ports from {first}");
    }
}
