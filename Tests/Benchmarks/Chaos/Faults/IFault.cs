namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>One fault of the schedule, done once at its time.</summary>
public interface IFault
{
    /// <summary>Seconds after the schedule starts.</summary>
    double At { get; }

    string Name { get; }

    Task RunAsync(FaultLog log, CancellationToken cancellationToken);
}
