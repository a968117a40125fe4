using global::Quartz;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Migration.Scheduler.Hosting;

/// <summary>Health, metrics and shutdown of the Scheduler host.</summary>
public static class SchedulerHosting
{
    const string Ready = "ready";

    public static IServiceCollection AddSchedulerHosting(this IServiceCollection services)
    {
        // Ready means Quartz is running (and, on a cluster, checking in) and the bus is connected; MassTransit adds
        // its own bus check with the "ready" tag.
        services.AddHealthChecks().AddQuartz(o =>
        {
            o.Name = "quartz";
            o.Tags.Add(Ready);
        });

        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter("MassTransit")
            .AddPrometheusExporter());

        // Long enough for a running sweep or message delivery to finish (Quartz waits for running jobs).
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return services;
    }

    public static IEndpointRouteBuilder MapSchedulerEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready) });
        endpoints.MapPrometheusScrapingEndpoint();
        return endpoints;
    }
}
