using Migration.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Migration.Oma.Hosting;

/// <summary>
/// What every OMA-side host has: health probes for Kubernetes, Prometheus metrics, traces (exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set) and a shutdown grace period that lets in-flight messages finish.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>How long a stopping process waits for in-flight messages (Kubernetes' grace period must be longer).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    public static IServiceCollection AddServiceDefaults(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        services.AddHealthChecks();
        services.AddConsoleLogDefaults(configuration);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m
                .AddMeter("MassTransit", "Migration.*", "Quartz")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(t => t
                .AddSource("MassTransit")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    /// <summary><c>/health/live</c> (the process runs), <c>/health/ready</c> (bus connected, database reachable), <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapServiceDefaults(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }
}
