using Microsoft.Extensions.Diagnostics.HealthChecks;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Api;

/// <summary>Ready when the default target directory can be written (the source is checked at start-up by options validation).</summary>
public sealed class ReadinessCheck(TargetResolver targets) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            Directory.CreateDirectory(targets.DefaultDirectory);
            return Task.FromResult(HealthCheckResult.Healthy($"target directory {targets.DefaultDirectory} is usable"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"target directory {targets.DefaultDirectory} cannot be created", ex));
        }
    }
}
