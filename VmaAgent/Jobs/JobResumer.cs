using Migration.Contracts.Text;
using Migration.VmaAgent.Api;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// At start-up, before the API answers, takes up every job the journal holds: a VMA that died mid-job goes on with it.
/// A journal is input from outside like a request: its request is parsed and checked again by the same rules (targets
/// against the allowed roots and hosts), its fingerprint must match, and its VM must still exist; one that fails is
/// logged and removed, and the OMA starts that job again as for any job the VMA does not know.
/// </summary>
public sealed partial class JobResumer(
    JobJournalStore journals,
    JobRegistry registry,
    IReplicationSource source,
    TargetPolicy targets,
    ILogger<JobResumer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!journals.Enabled)
        {
            return;
        }

        foreach (var (path, record, problem) in journals.ReadAll().ToList())
        {
            var refusal = problem ?? (record is null ? "is empty" : await TryResumeAsync(record, cancellationToken));
            if (refusal is not null)
            {
                LogRefused(SafeText.Escape(path), SafeText.Escape(refusal, 500));
                File.Delete(path);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<string?> TryResumeAsync(JobJournalRecord record, CancellationToken cancellationToken)
    {
        var parsed = StartRequestParser.Parse(System.Text.Encoding.UTF8.GetBytes(record.Request.GetRawText()));
        if (!parsed.IsValid)
        {
            return "holds an invalid request: " + string.Join("; ", parsed.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        }

        var request = parsed.Request!;
        foreach (var (diskId, disk) in request.Target?.Disks ?? new Dictionary<string, Contracts.Vma.TargetDisk>())
        {
            if (disk?.Uri is { } uri && targets.Check(uri) is { } refused)
            {
                return $"target.disks.{diskId}.uri: {refused}";
            }
        }

        if (request.JobId != record.JobId || StartRequestParser.Fingerprint(request) != record.Fingerprint)
        {
            return "does not match its own request (job id or fingerprint)";
        }

        SourceVm? vm;
        try
        {
            vm = await source.FindVmAsync(request.Vm!, cancellationToken);
        }
        catch (Exception ex) when (ex is SourceUnavailableException or AmbiguousVmException)
        {
            return $"its VM cannot be looked up: {ex.Message}";
        }

        if (vm is null)
        {
            return $"its VM {request.Vm!.Display} is no longer in the {source.Kind} inventory";
        }

        if (!registry.Resume(record, request, vm))
        {
            return null;
        }

        LogResuming(record.JobId, SafeText.Escape(vm.Name));
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking up job {JobId} for VM {VmName} again from its journal")]
    private partial void LogResuming(string jobId, string vmName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journal {Path} is not taken up and is removed: it {Problem}")]
    private partial void LogRefused(string path, string problem);
}
