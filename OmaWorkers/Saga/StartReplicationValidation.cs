using MassTransit;
using Migration.Contracts;
using Migration.Contracts.Text;
using Migration.Contracts.Vma;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// Checks a <see cref="StartReplication"/> before the saga repository sees it, so an invalid command faults (and ends
/// in <c>_error</c>) without a job row ever being created.
/// </summary>
public sealed class StartReplicationValidation : IFilter<ConsumeContext<StartReplication>>
{
    public Task Send(ConsumeContext<StartReplication> context, IPipe<ConsumeContext<StartReplication>> next) =>
        Problem(context.Message) is { } problem
            ? throw new InvalidCommandException($"StartReplication rejected{Naming(context.Message.JobId)}: {problem}")
            : next.Send(context);

    public void Probe(ProbeContext context) => context.CreateFilterScope("startReplicationValidation");

    public static string? Problem(StartReplication command)
    {
        if (!JobIdentity.IsValid(command.JobId))
        {
            return $"jobId: required, {JobIdentity.Rule}";
        }

        if (!Uri.TryCreate(command.VmaUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return "vmaUrl: required, an absolute http(s) URL of the VMA";
        }

        if (command.Vm is null)
        {
            return "vm: required (one of name, moref, uuid)";
        }

        if (command.Vm.Validate() is { } vmProblem)
        {
            return vmProblem;
        }

        if (!Enum.IsDefined(command.SyncType))
        {
            return "syncType: one of auto, full, incremental";
        }

        foreach (var (diskId, disk) in command.Target?.Disks ?? new Dictionary<string, TargetDisk>())
        {
            if (!Uri.TryCreate(disk?.Uri, UriKind.Absolute, out var target) || target.Scheme is not ("nbd" or "nbd+unix" or "file"))
            {
                return $"target.disks.{SafeText.Escape(diskId)}.uri: an nbd://host:port/export, nbd+unix:///export?socket=PATH or file:///path URI";
            }
        }

        return null;
    }

    // The id is from outside and may break the rule in any way: escaped, so the fault's log line stays one line.
    private static string Naming(string? jobId) => string.IsNullOrEmpty(jobId) ? "" : $" (job id '{SafeText.Escape(jobId, 300)}')";
}
