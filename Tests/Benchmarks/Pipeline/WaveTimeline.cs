using System.Diagnostics;
using System.Globalization;
using Migration.Contracts.Status;

namespace Migration.Benchmarks.Pipeline;

/// <summary>
/// The start-up wave: N <c>StartReplication</c> published at once, and when (from the first publish) every job had its
/// row, half of them streamed and all of them streamed (issue 9's target: every job streaming within 15 s).
/// </summary>
public sealed class WaveTimeline(int jobs, Stopwatch sincePublish)
{
    public TimeSpan? Published { get; private set; }

    public TimeSpan? AllRows { get; private set; }

    public TimeSpan? HalfStreaming { get; private set; }

    public TimeSpan? AllStreaming { get; private set; }

    public void MarkPublished() => Published ??= sincePublish.Elapsed;

    /// <summary>One reading of the rows by status.</summary>
    public void Record(IReadOnlyDictionary<string, long> counts)
    {
        var now = sincePublish.Elapsed;
        var streaming = counts.GetValueOrDefault(StatusMapping.Streaming);
        if (counts.Values.Sum() >= jobs)
        {
            AllRows ??= now;
        }

        if (streaming * 2 >= jobs)
        {
            HalfStreaming ??= now;
        }

        if (streaming >= jobs)
        {
            AllStreaming ??= now;
        }
    }

    public string Line =>
        $"wave: {jobs} StartReplication published at once (in {Seconds(Published)}); every job's row after {Seconds(AllRows)}, " +
        $"half streaming after {Seconds(HalfStreaming)}, every job streaming after {Seconds(AllStreaming)} (target 15 s)";

    /// <summary>The one line scripts read: seconds until every job streamed ("never" when it did not within the wait).</summary>
    public string ScriptLine => $"wave seconds to all streaming: {(AllStreaming is { } all ? all.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "never")}";

    private static string Seconds(TimeSpan? value) =>
        value is { } v ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never (within the wait)";
}
