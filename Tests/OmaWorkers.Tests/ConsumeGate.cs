namespace Migration.Tests.OmaWorkers;

/// <summary>
/// TEST ONLY: whether a message is being consumed. The in-memory saga repository hands out the live instance, which a
/// step changes field by field (a job read between "status pending" and "next poll set" looked pending with no next
/// poll); a read that began and ended with no consume running, and none begun meanwhile, saw no step half done.
/// </summary>
public sealed class ConsumeGate
{
    private long _entered;
    private int _inFlight;

    public void Enter()
    {
        Interlocked.Increment(ref _entered);
        Interlocked.Increment(ref _inFlight);
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Runs <paramref name="read"/>; true when no consume ran at any moment of it.</summary>
    public bool TryReadQuiet<T>(Func<T> read, out T value)
    {
        var entered = Interlocked.Read(ref _entered);
        if (Volatile.Read(ref _inFlight) != 0)
        {
            value = default!;
            return false;
        }

        value = read();
        return Volatile.Read(ref _inFlight) == 0 && Interlocked.Read(ref _entered) == entered;
    }
}
