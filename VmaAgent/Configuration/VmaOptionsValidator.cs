using Microsoft.Extensions.Options;

namespace Migration.VmaAgent.Configuration;

/// <summary>Refuses settings this build cannot honour, at start-up, naming the key: never pretend.</summary>
public sealed class VmaOptionsValidator : IValidateOptions<VmaOptions>
{
    public ValidateOptionsResult Validate(string? name, VmaOptions options)
    {
        var failures = new List<string>();
        if (options.Source == VmaSourceKind.VSphere)
        {
            failures.AddRange(VSphereOptionsRules.Check(options.VSphere));
        }

        if (!Enum.IsDefined(options.Source))
        {
            failures.Add($"Vma:Source must be Simulated or VSphere, not '{options.Source}'");
        }

        if (string.IsNullOrWhiteSpace(options.Target.Directory))
        {
            failures.Add("Vma:Target:Directory must name a directory");
        }

        var sim = options.Simulated;
        if (sim.VmCount is < 0 or > 100_000)
        {
            failures.Add("Vma:Simulated:VmCount must be between 0 and 100000");
        }

        if (sim.VmNames.Any(string.IsNullOrEmpty) || sim.VmNames.Distinct(StringComparer.Ordinal).Count() != sim.VmNames.Count)
        {
            failures.Add("Vma:Simulated:VmNames must be distinct and not empty");
        }

        if (sim.BlockSize.Bytes is < 512 or > 64L << 20)
        {
            failures.Add("Vma:Simulated:BlockSize must be between 512B and 64MiB");
        }
        else
        {
            if (sim.DiskSize.Bytes <= 0 || sim.DiskSize.Bytes % sim.BlockSize.Bytes != 0)
            {
                failures.Add($"Vma:Simulated:DiskSize must be a positive multiple of Vma:Simulated:BlockSize ({sim.BlockSize})");
            }

            if (sim.ExtentSize.Bytes <= 0 || sim.ExtentSize.Bytes % sim.BlockSize.Bytes != 0)
            {
                failures.Add($"Vma:Simulated:ExtentSize must be a positive multiple of Vma:Simulated:BlockSize ({sim.BlockSize})");
            }
        }

        if (sim.AllocatedPercent is < 0 or > 100)
        {
            failures.Add("Vma:Simulated:AllocatedPercent must be between 0 and 100");
        }

        var jobs = options.Jobs;
        if (jobs.MaxConcurrentJobs < 1)
        {
            failures.Add("Vma:Jobs:MaxConcurrentJobs must be at least 1");
        }

        if (jobs.ThroughputCapPerJob.Bytes < 0)
        {
            failures.Add("Vma:Jobs:ThroughputCapPerJob must not be negative");
        }

        if (jobs.StageDelay < TimeSpan.Zero)
        {
            failures.Add("Vma:Jobs:StageDelay must not be negative");
        }

        if (jobs.ChunkSize.Bytes is < 512 or > 64L << 20)
        {
            failures.Add("Vma:Jobs:ChunkSize must be between 512B and 64MiB");
        }

        if (jobs.RequestsInFlight is < 1 or > 1024)
        {
            failures.Add("Vma:Jobs:RequestsInFlight must be between 1 and 1024");
        }

        if (jobs.CheckpointInterval <= TimeSpan.Zero)
        {
            failures.Add("Vma:Jobs:CheckpointInterval must be positive");
        }

        if (jobs.FlushBehind.Bytes < 0)
        {
            failures.Add("Vma:Jobs:FlushBehind must not be negative (0 turns it off)");
        }

        var nbd = options.Nbd;
        if (nbd.ConnectTimeout <= TimeSpan.Zero || nbd.RequestTimeout <= TimeSpan.Zero || nbd.ReconnectDelay < TimeSpan.Zero)
        {
            failures.Add("Vma:Nbd:ConnectTimeout and :RequestTimeout must be positive, :ReconnectDelay not negative");
        }

        if (nbd.Connections is < 1 or > 16 || nbd.ReconnectAttempts is < 0 or > 100)
        {
            failures.Add("Vma:Nbd:Connections must be between 1 and 16, :ReconnectAttempts between 0 and 100");
        }

        if (jobs.ThroughputWindow <= TimeSpan.Zero)
        {
            failures.Add("Vma:Jobs:ThroughputWindow must be positive");
        }

        if (jobs.EtaWindow <= TimeSpan.Zero)
        {
            failures.Add("Vma:Jobs:EtaWindow must be positive");
        }

        if (jobs.EtaChangeAfter < TimeSpan.Zero || jobs.EtaChangeAfter >= jobs.EtaWindow)
        {
            failures.Add("Vma:Jobs:EtaChangeAfter must be 0 (off) or positive and shorter than Vma:Jobs:EtaWindow");
        }

        if (jobs.Retention < TimeSpan.Zero || jobs.RetentionSweepInterval <= TimeSpan.Zero)
        {
            failures.Add("Vma:Jobs:Retention must not be negative and Vma:Jobs:RetentionSweepInterval must be positive");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
