using System.Runtime.CompilerServices;
using System.Text;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// Cuts one sweep's polls into <see cref="TrackingOptions.PollSpreadSlots"/> groups spaced over
/// <see cref="TrackingOptions.EffectivePollSpreadWindow"/>; a job's group is a stable hash of its id, so each job is
/// polled at the same offset every interval (its cadence stays one interval) and every scheduler node agrees on it.
/// </summary>
/// <remarks>
/// Every poll keeps the firing's stamp (<c>RequestedAt</c>), not its publish time: the saga schedules the job's next
/// poll one interval after that stamp, so the job is due again at the next firing, whatever its offset.
/// </remarks>
public sealed class PollSpread(TrackingOptions tracking, TimeProvider time)
{
    /// <summary>The group of <paramref name="jobId"/> among <paramref name="slots"/> (FNV-1a of its UTF-8 bytes).</summary>
    public static int Slot(string jobId, int slots)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(jobId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % (uint)Math.Max(slots, 1));
    }

    /// <summary>
    /// Yields the non-empty groups in slot order, each at its offset from the first; the caller publishes each as it
    /// comes. Cancelled (shutdown), the groups not yet yielded are simply due at the next sweep.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<DuePoll>> GroupsAsync(
        IReadOnlyList<DuePoll> polls, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var slots = Math.Max(tracking.PollSpreadSlots, 1);
        var window = tracking.EffectivePollSpreadWindow;
        if (window <= TimeSpan.Zero || slots == 1 || polls.Count <= 1)
        {
            yield return polls;
            yield break;
        }

        var start = time.GetUtcNow();
        foreach (var group in polls.GroupBy(poll => Slot(poll.JobId, slots)).OrderBy(group => group.Key))
        {
            var wait = start + (window * group.Key / slots) - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            yield return group.ToList();
        }
    }
}
