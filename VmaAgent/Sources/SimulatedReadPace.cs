using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// How fast the simulated disks can be read, changeable while jobs run (<c>PUT /api/v1/simulator/read-rate</c>): a
/// source whose throughput changes mid-run, as a real datastore's does, for the ETA measurement and tests.
/// </summary>
/// <remarks>
/// Each read reserves the next slot of the shared byte budget and waits until its slot ends, so all reads together
/// move at most <see cref="BytesPerSecond"/>; a change applies to the next read.
/// </remarks>
public sealed class SimulatedReadPace(TimeProvider time, IOptions<VmaOptions> options)
{
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
        var rate = BytesPerSecond;
        if (rate <= 0 || bytes <= 0)
        {
            return;
        }

        TimeSpan wait;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var start = _nextFree > now ? _nextFree : now;
            _nextFree = start + TimeSpan.FromSeconds((double)bytes / rate);
            wait = _nextFree - now;
        }

        await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
    }
}
