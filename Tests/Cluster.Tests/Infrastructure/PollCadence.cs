using System.Globalization;
using System.Text.RegularExpressions;

using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// The poll cadence as the VMA saw it: the time of every <c>GET /api/v1/progress/{jobId}</c> from the agent's request
/// log (ASP.NET Core's "Request starting" event, UTC timestamps), grouped per job.
/// </summary>
public sealed partial class PollCadence
{
    private PollCadence(IReadOnlyDictionary<string, IReadOnlyList<DateTime>> requests) => Requests = requests;

    /// <summary>Per job, the times its progress was requested, in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<DateTime>> Requests { get; }

    public static PollCadence FromVmaLog(string logFile)
    {
        var requests = new Dictionary<string, List<DateTime>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(logFile))
        {
            var match = ProgressRequest().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var at = DateTime.ParseExact(match.Groups["at"].Value, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            var jobId = Uri.UnescapeDataString(match.Groups["job"].Value);
            if (!requests.TryGetValue(jobId, out var times))
            {
                requests[jobId] = times = [];
            }

            times.Add(at);
        }

        return new PollCadence(requests.ToDictionary(e => e.Key, e => (IReadOnlyList<DateTime>)[.. e.Value.Order()], StringComparer.Ordinal));
    }

    /// <summary>Seconds between consecutive requests of each job, within [from, to] when given.</summary>
    public IReadOnlyList<double> Intervals(IEnumerable<string> jobIds, DateTime? from = null, DateTime? to = null)
    {
        var intervals = new List<double>();
        foreach (var jobId in jobIds)
        {
            if (!Requests.TryGetValue(jobId, out var times))
            {
                continue;
            }

            var window = times.Where(t => (from is null || t >= from) && (to is null || t <= to)).ToList();
            intervals.AddRange(window.Zip(window.Skip(1), (a, b) => (b - a).TotalSeconds));
        }

        return intervals;
    }

    public int Count(string jobId, DateTime? after = null) =>
        Requests.TryGetValue(jobId, out var times) ? times.Count(t => after is null || t > after) : 0;

    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) info: Microsoft\.AspNetCore\.Hosting\.Diagnostics\[1\] Request starting HTTP/[\d.]+ GET http://[^/]+/api/v1/progress/(?<job>[^ /?]+)")]
    private static partial Regex ProgressRequest();
}
