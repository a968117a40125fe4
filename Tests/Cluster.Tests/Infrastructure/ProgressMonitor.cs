using Migration.Tests.Support;

namespace Migration.Tests.Cluster.Infrastructure;

/// <summary>
/// Watches the job rows over a run (one sample about every second) and records every regression an operator
/// watching <c>Cli watch</c> would see: progress or bytes going backwards, a status going back, a finished job reopening.
/// </summary>
public sealed class ProgressMonitor
{
    private static readonly string[] StatusOrder = ["pending", "preparing", "snapshotting", "streaming", "finalizing", "completed"];

    private readonly Dictionary<string, JobRow> _last = new(StringComparer.Ordinal);
    private readonly List<string> _regressions = [];

    public int Samples { get; private set; }

    public IReadOnlyList<string> Regressions => _regressions;

    public void Sample(IReadOnlyList<JobRow> jobs)
    {
        Samples++;
        foreach (var job in jobs)
        {
            if (_last.TryGetValue(job.Id, out var before))
            {
                if (job.ProgressPercent < before.ProgressPercent)
                {
                    _regressions.Add($"{job.Id}: progress {before.ProgressPercent}% -> {job.ProgressPercent}%");
                }

                if (job.BytesTransferred < before.BytesTransferred)
                {
                    _regressions.Add($"{job.Id}: bytes {before.BytesTransferred} -> {job.BytesTransferred}");
                }

                if (before.Status is "completed" or "failed" && job.Status != before.Status)
                {
                    _regressions.Add($"{job.Id}: finished job reopened {before.Status} -> {job.Status}");
                }
                else if (job.Status != "failed" && Rank(job.Status) < Rank(before.Status))
                {
                    _regressions.Add($"{job.Id}: status {before.Status} -> {job.Status}");
                }

                if (job.Version < before.Version)
                {
                    _regressions.Add($"{job.Id}: version {before.Version} -> {job.Version}");
                }
            }

            _last[job.Id] = job;
        }
    }

    private static int Rank(string status) => Array.IndexOf(StatusOrder, status);
}
