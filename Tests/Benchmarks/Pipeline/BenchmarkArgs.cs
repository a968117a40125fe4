using System.Globalization;
using Migration.Oma;

namespace Migration.Benchmarks.Pipeline;

/// <summary>A setting the benchmark cannot run without is missing or wrong: printed as one line, exit code 2.</summary>
public sealed class BenchmarkSetupException(string message) : Exception(message);

/// <summary><c>--name value</c> and <c>--flag</c> options.</summary>
public sealed class BenchmarkArgs(string[] args)
{
    public string? Option(string name)
    {
        var index = Array.IndexOf(args, "--" + name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public int Int(string name, int fallback) =>
        Option(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => args.Contains("--" + name);

    /// <summary>--poll-batch N: Tracking:PollBatchSize for the hosts, from 1 (one poll per job, the default) to the VMA's batch limit.</summary>
    public int PollBatch() =>
        int.TryParse(Option("poll-batch") ?? "1", NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= TrackingOptions.MaxPollBatchSize
            ? size
            : throw new BenchmarkSetupException($"--poll-batch N takes 1 to {TrackingOptions.MaxPollBatchSize}");
}
