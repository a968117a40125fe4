namespace Migration.OmaWorkers.Saga;

/// <summary>Why a job failed; each kind has its own JobLog event (<c>job_log.event_kind</c>).</summary>
public enum FailureKind
{
    /// <summary>The VMA reported the job failed.</summary>
    VmaReported,

    /// <summary>No successful contact with the VMA within <c>Tracking:ContactTimeout</c>.</summary>
    ContactTimeout,

    /// <summary>An operator cancelled the job.</summary>
    Cancelled,

    /// <summary>The VMA refused the start request.</summary>
    StartRejected,
}

public static class FailureKinds
{
    public static string EventKind(this FailureKind kind) => kind switch
    {
        FailureKind.ContactTimeout => "timeout",
        FailureKind.Cancelled => "cancelled",
        _ => "failed",
    };

    public static LogLevel Level(this FailureKind kind) => kind == FailureKind.Cancelled ? LogLevel.Warning : LogLevel.Error;
}
