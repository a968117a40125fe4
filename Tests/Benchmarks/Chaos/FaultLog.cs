using System.Diagnostics;
using System.Globalization;

namespace Migration.Benchmarks.Chaos;

/// <summary>What the faults did and when, printed as it happens and kept for the report; and what went wrong doing them.</summary>
public sealed class FaultLog
{
    private readonly Lock gate = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<string> entries = [];

    public List<string> Problems { get; } = [];

    public double Seconds => clock.Elapsed.TotalSeconds;

    /// <summary>When the VMA was killed (its jobs' later state is checked against it), if it was.</summary>
    public DateTimeOffset? VmaKilledAt { get; set; }

    public int WorkerKills { get; set; }

    /// <summary>Kill ticks when no worker was ready (both still starting).</summary>
    public int SkippedWorkerKills { get; set; }

    /// <summary>What the jobs are doing, appended to each fault's first line (so the report shows faults hit streaming jobs).</summary>
    public Func<string>? JobState { get; init; }

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (gate)
            {
                return [.. entries];
            }
        }
    }

    public void Write(string what)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} +{Seconds,5:0.0} s  {what}");
        lock (gate)
        {
            entries.Add(line);
        }

        Console.Error.WriteLine("[chaos] " + line);
    }

    public void Problem(string what)
    {
        lock (gate)
        {
            Problems.Add(what);
        }

        Write("PROBLEM: " + what);
    }

    /// <summary>Waits for a restarted host; one that does not come back is a problem of the run, not an exception.</summary>
    public async Task WaitReadyAsync(ChaosHost host, TimeSpan timeout)
    {
        var started = Seconds;
        if (await host.WaitReadyAsync(timeout))
        {
            Write(string.Create(CultureInfo.InvariantCulture, $"{host.Name} ready ({Seconds - started:0.0} s)"));
        }
        else
        {
            Problem($"{host.Name} was not ready within {timeout} of its restart (see {host.LogPath})");
        }
    }
}
