using Migration.Contracts.Status;

namespace Migration.OmaWorkers.Saga;

/// <summary>The saga's state names and the database statuses they are (a state per status, nothing held twice).</summary>
public static class JobStates
{
    public const string Pending = "Pending";
    public const string Preparing = "Preparing";
    public const string Snapshotting = "Snapshotting";
    public const string Streaming = "Streaming";
    public const string Finalizing = "Finalizing";
    public const string Completed = "Completed";
    public const string Failed = "Failed";

    private static readonly Dictionary<string, string> StatusByState = new(StringComparer.Ordinal)
    {
        // MassTransit's state before the first transition: a job being started is pending.
        ["Initial"] = StatusMapping.Pending,
        [Pending] = StatusMapping.Pending,
        [Preparing] = StatusMapping.Preparing,
        [Snapshotting] = StatusMapping.Snapshotting,
        [Streaming] = StatusMapping.Streaming,
        [Finalizing] = StatusMapping.Finalizing,
        [Completed] = StatusMapping.Completed,
        [Failed] = StatusMapping.Failed,
    };

    private static readonly Dictionary<string, string> StateByStatus = StatusByState
        .Where(p => p.Key != "Initial")
        .ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The database status of a state; a state of another machine (tests) is stored by its own name.</summary>
    public static string StatusOf(string state) =>
        StatusByState.TryGetValue(state, out var status) ? status : state.ToLowerInvariant();

    /// <summary>The state of a database status (<see cref="StatusMapping"/>'s names).</summary>
    public static string StateOf(string status) => StateByStatus[status];
}
