using global::Quartz;

namespace Migration.Scheduler.Hosting;

/// <summary>The Scheduler's own readiness: Quartz is running (and, on a cluster, checking in).</summary>
public static class SchedulerHosting
{
    public static IServiceCollection AddSchedulerHealth(this IServiceCollection services)
    {
        // MassTransit adds its own bus check with the same "ready" tag.
        services.AddHealthChecks().AddQuartz(o =>
        {
            o.Name = "quartz";
            o.Tags.Add("ready");
        });
        return services;
    }
}
