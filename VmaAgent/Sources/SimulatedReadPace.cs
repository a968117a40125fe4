using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// How fast the simulated disks can be read, changeable while jobs run (<c>PUT /api/v1/simulator/read-rate</c>): a
/// source whose throughput changes mid-run, as a real datastore's does, for the ETA measurement and tests.
/// </summary>
/// <remarks>
/// A read goes ahead once the pace's clock has caught up with now and then moves that clock on by its own length at the
/// rate of that moment; waiting reads look again every <see cref="Recheck"/>, so a change applies to them too, not only
/// to reads that start after it.
/// </remarks>
public sealed class SimulatedReadPace(TimeProvider time, IOptions<VmaOptions> options)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private long _bytesPerSecond = options.Value.Simulated.ReadRate.Bytes;
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    /// <summary>0: reads are not held back.</summary>
    public long BytesPerSecond
    {
        get => Interlocked.Read(ref _bytesPerSecond);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Interlocked.Exchange(ref _bytesPerSecond, value);
        }
    }

    public async ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var rate = BytesPerSecond;
            if (rate <= 0 || bytes <= 0)
            {
                return;
            }

            TimeSpan wait;
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (_nextFree <= now)
                {
                    // Idle time is not saved up for a burst later.
                    _nextFree = (_nextFree < now - Recheck ? now : _nextFree) + TimeSpan.FromSeconds((double)bytes / rate);
                    return;
                }

                wait = _nextFree - now < Recheck ? _nextFree - now : Recheck;
            }

            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
