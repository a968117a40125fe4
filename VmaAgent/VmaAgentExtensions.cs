using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Migration.VmaAgent.Api;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;
using Migration.VmaAgent.Telemetry;
using Migration.VmaAgent.Tls;
using OpenTelemetry.Metrics;

namespace Migration.VmaAgent;

/// <summary>Composes the agent into any ASP.NET Core host: its own Program, the CLI demo, or a test.</summary>
public static class VmaAgentExtensions
{
    /// <summary>Registers the agent: options (section <c>Vma</c>, validated at start-up), source, targets, jobs, health and metrics.</summary>
    public static IServiceCollection AddVmaAgent(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<VmaOptions>().Bind(configuration.GetSection(VmaOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VmaOptions>, VmaOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        services.AddSingleton<SimulatedInventory>();
        services.AddSingleton<SimulatedReadPace>();
        services.AddSingleton<IReplicationSource>(provider =>
        {
            var vma = provider.GetRequiredService<IOptions<VmaOptions>>().Value;
            IReplicationSource source = vma.Source switch
            {
                VmaSourceKind.Simulated => new SimulatedSource(provider.GetRequiredService<SimulatedInventory>(), provider.GetRequiredService<SimulatedReadPace>()),
                VmaSourceKind.VSphere => ActivatorUtilities.CreateInstance<Sources.VSphere.VSphereSource>(provider),
                var other => throw new InvalidOperationException($"Vma:Source={other} is not available in this build"),
            };
            return vma.SourceExports.Enabled
                ? new NbdExportedSource(source, vma.SourceExports, vma.Nbd, provider.GetRequiredService<TimeProvider>())
                : source;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITargetProvider, FileTargetProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITargetProvider, NbdTargetProvider>());
        services.AddSingleton<TargetResolver>();
        services.AddSingleton<TargetPolicy>();

        services.AddSingleton<VmaMetrics>();
        services.AddSingleton<JobJournalStore>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobRegistry>();
        services.AddHostedService<JobSupervisor>();
        services.AddHostedService<JobResumer>();
        services.AddHostedService<Sources.VSphere.OrphanedSnapshotCleanup>();

        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddVmaTls(configuration);
        services.AddHealthChecks().AddCheck<ReadinessCheck>("vma-target", tags: ["ready"]);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(VmaMetrics.MeterName)
            // Only the hosting meter (http.server.request.duration and active requests), not every ASP.NET Core meter: the
            // routing and Kestrel instruments cost a few microseconds on each progress poll, measured by vma-vs-kestrel.
            .AddMeter("Microsoft.AspNetCore.Hosting")
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Maps the API, its OpenAPI document (<c>/openapi/v1.json</c>), the simulator control endpoints (only when the source is Simulated), and unless
    /// <paramref name="includeHostEndpoints"/> is false (a host that maps its own), /health/live, /health/ready and /metrics.
    /// </summary>
    public static IEndpointRouteBuilder MapVmaAgent(this IEndpointRouteBuilder endpoints, bool includeHostEndpoints = true)
    {
        endpoints.MapReplicationEndpoints();
        endpoints.MapOpenApi();
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<VmaOptions>>().Value.Source == VmaSourceKind.Simulated)
        {
            endpoints.MapSimulatorEndpoints();
        }

        if (includeHostEndpoints)
        {
            endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
            endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
            endpoints.MapPrometheusScrapingEndpoint("/metrics");
        }

        return endpoints;
    }
}
