using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;

namespace Migration.OmaWorkers.Saga;

/// <summary>The start request a job sends its VMA, rebuilt from the job row (first start, and again after a VMA restart).</summary>
public static class VmaStartRequest
{
    public static StartVmaReplication Of(ReplicationState job) => new()
    {
        JobId = job.JobId,
        VmaUrl = job.VmaUrl,
        Vm = job.VmRefKind switch
        {
            "moref" => new VmReference { Moref = job.VmName },
            "uuid" => new VmReference { Uuid = job.VmName },
            _ => new VmReference { Name = job.VmName },
        },
        SyncType = job.RequestedSyncType switch
        {
            "full" => SyncType.Full,
            "incremental" => SyncType.Incremental,
            _ => SyncType.Auto,
        },
        PreviousChangeIds = ProgressRows.PreviousChangeIds(job),
        Target = job.TargetJson is null ? null : ProgressRows.FromJson<ReplicationTarget>(job.TargetJson),
    };
}
