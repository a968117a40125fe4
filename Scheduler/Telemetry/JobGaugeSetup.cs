using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Migration.Scheduler.Telemetry;

public static class JobGaugeSetup
{
    /// <summary>The job gauges (<see cref="JobGauges"/>); the host registers the persistence they read.</summary>
    public static IServiceCollection AddJobGauges(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobGaugeOptions>().Bind(configuration.GetSection(JobGaugeOptions.Section));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JobCountsQuery>();
        services.AddHostedService<JobGauges>();
        return services;
    }
}
