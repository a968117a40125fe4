using System.Globalization;

namespace Migration.Benchmarks.Chaos;

/// <summary>The run's figures, one line each, and whether everything held.</summary>
public sealed class ChaosFigures
{
    public int Started { get; init; }

    public int Completed { get; init; }

    /// <summary>Failed jobs by reason (the job row's error).</summary>
    public IReadOnlyDictionary<string, int> FailedByReason { get; init; } = new Dictionary<string, int>();

    /// <summary>Started jobs with no row, not finished at the end, or finished differently from what the VMA says.</summary>
    public IReadOnlyList<string> Lost { get; init; } = [];

    public IReadOnlyList<string> DuplicatedHistory { get; init; } = [];

    public IReadOnlyList<string> DuplicatedJobLog { get; init; } = [];

    public IReadOnlyList<string> RowRegressions { get; init; } = [];

    public IReadOnlyList<string> JobLogRegressions { get; init; } = [];

    /// <summary>Finished jobs whose disks, cbt_history or JobLog rows are not all there.</summary>
    public IReadOnlyList<string> Incomplete { get; init; } = [];

    public IReadOnlyDictionary<string, long> ErrorQueues { get; init; } = new Dictionary<string, long>();

    public IReadOnlyList<string> MissingConsumers { get; init; } = [];

    public IReadOnlyList<string> Crashes { get; init; } = [];

    public IReadOnlyList<string> FaultProblems { get; init; } = [];

    /// <summary>Hosts that exited before they were ready because a server was down (restarted, as Kubernetes would).</summary>
    public IReadOnlyList<string> StartRefusals { get; init; } = [];

    public int StatusStepsBack { get; init; }

    public int Failed => FailedByReason.Values.Sum();

    public int Duplicated => DuplicatedHistory.Count + DuplicatedJobLog.Count;

    public int Regressions => RowRegressions.Count + JobLogRegressions.Count;

    public long ErrorMessages => ErrorQueues.Values.Sum();

    public bool Holds => Lost.Count == 0 && Duplicated == 0 && Regressions == 0 && ErrorMessages == 0 && Incomplete.Count == 0
        && MissingConsumers.Count == 0 && Crashes.Count == 0 && FaultProblems.Count == 0;

    /// <summary>The plain line SPEC.md names, printed last when everything held.</summary>
    public const string HoldsLine = "chaos: lost 0, duplicated 0, regressions 0";

    public IEnumerable<string> Lines()
    {
        yield return Line("jobs started", Started);
        yield return Line("jobs completed", Completed);
        yield return Line("jobs failed", Failed);
        foreach (var (reason, count) in FailedByReason.OrderByDescending(r => r.Value))
        {
            yield return $"  failed: {count} x {reason}";
        }

        yield return Line("lost jobs (no row, unfinished, or not what the VMA says)", Lost.Count, Lost);
        yield return Line("duplicated cbt_history rows", DuplicatedHistory.Count, DuplicatedHistory);
        yield return Line("duplicated job_log entries (started/completed/stopped/milestones)", DuplicatedJobLog.Count, DuplicatedJobLog);
        yield return Line("progress regressions in rows (sampled every second)", RowRegressions.Count, RowRegressions);
        yield return Line("progress regressions in job_log (milestones, stages)", JobLogRegressions.Count, JobLogRegressions);
        yield return Line("finished jobs with incomplete records", Incomplete.Count, Incomplete);
        yield return Line("messages left in _error/_skipped queues", ErrorMessages,
            [.. ErrorQueues.Where(q => q.Value > 0).Select(q => $"{q.Key}: {q.Value}")]);
        yield return Line("queues without their consumers at the end", MissingConsumers.Count, MissingConsumers);
        yield return Line("hosts that crashed while running (exited unasked)", Crashes.Count, Crashes);
        yield return Line("host starts refused (a server down at start; started again, as Kubernetes would)", StartRefusals.Count, StartRefusals);
        yield return Line("faults that could not be done", FaultProblems.Count, FaultProblems);
        yield return Line("status steps back to an earlier live status (resumed VMA jobs re-run preparation; not a regression)", StatusStepsBack);
    }

    private static string Line(string name, long value, IReadOnlyList<string>? examples = null)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{name}: {value}");
        return examples is { Count: > 0 }
            ? line + Environment.NewLine + string.Join(Environment.NewLine, examples.Take(10).Select(e => "  " + e))
              + (examples.Count > 10 ? string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  … {examples.Count - 10} more") : "")
            : line;
    }

    public string FinalLine => Holds
        ? HoldsLine
        : string.Create(CultureInfo.InvariantCulture,
            $"chaos: FAILED lost {Lost.Count}, duplicated {Duplicated}, regressions {Regressions}, error-queue messages {ErrorMessages}, incomplete {Incomplete.Count}, missing consumers {MissingConsumers.Count}, crashes {Crashes.Count}, fault problems {FaultProblems.Count}");
}
