using Migration.Oma;
using Migration.Contracts.Status;

namespace Migration.OmaWorkers.Saga;

/// <summary>Why a job row is written (the seed's throttling rules); <see cref="None"/> means the write is skipped.</summary>
[Flags]
public enum WriteReasons
{
    None = 0,
    ProgressDelta = 1,
    IntervalElapsed = 2,
    OperationChanged = 4,
    StatusChanged = 8,
    Terminal = 16,
    PollingRecovered = 32,
}

/// <summary>What was last written to the job row, and what a new observation says.</summary>
public readonly record struct ProgressPoint(string Status, string? Operation, decimal Percent);

/// <summary>
/// The seed's throttle as a pure function: write when progress moved by at least 1 point, when at least 2 s passed
/// since the last write, when the operation or the status changed; terminal transitions always.
/// </summary>
public static class ProgressWritePolicy
{
    public static WriteReasons Decide(
        ProgressPoint written,
        DateTimeOffset writtenAt,
        ProgressPoint observed,
        DateTimeOffset now,
        TrackingOptions options)
    {
        var reasons = WriteReasons.None;
        if (StatusMapping.IsTerminal(observed.Status) && observed.Status != written.Status)
        {
            reasons |= WriteReasons.Terminal;
        }

        if (observed.Status != written.Status)
        {
            reasons |= WriteReasons.StatusChanged;
        }

        if (!string.Equals(observed.Operation, written.Operation, StringComparison.Ordinal))
        {
            reasons |= WriteReasons.OperationChanged;
        }

        if (Math.Abs(observed.Percent - written.Percent) >= options.WriteMinProgressDelta)
        {
            reasons |= WriteReasons.ProgressDelta;
        }

        if (now - writtenAt >= options.WriteMinInterval)
        {
            reasons |= WriteReasons.IntervalElapsed;
        }

        return reasons;
    }
}
