using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.OmaWorkers.Consumers;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.OmaWorkers.Saga;
using Migration.OmaWorkers.Saga.Activities;
using Migration.OmaWorkers.Telemetry;
using Migration.OmaWorkers.Vma;
using Polly;

namespace Migration.OmaWorkers;

public static class OmaWorkersSetup
{
    /// <summary>The workers' services: options, the pooled VMA client, the saga's activities (the bus is added separately).</summary>
    public static IServiceCollection AddOmaWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TrackingOptions>().Bind(configuration.GetSection(TrackingOptions.Section));
        services.AddOptions<VmaClientOptions>().Bind(configuration.GetSection(VmaClientOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMigrationPersistence(configuration);
        services.AddReplicationStateRepository();
        services.AddMetrics();
        services.TryAddSingleton<OmaMetrics>();
        services.TryAddScoped<JobLog>();
        services.TryAddScoped<JobFailure>();
        services.TryAddScoped<StartJobActivity>();
        services.TryAddScoped<ApplyProgressActivity>();
        services.TryAddScoped<CompleteJobActivity>();
        services.TryAddScoped<FailJobActivity>();
        services.TryAddScoped<RecordPollFailureActivity>();
        services.TryAddScoped<RestartOnVmaActivity>();
        services.TryAddScoped<TimeOutActivity>();
        services.TryAddScoped<CancelJobActivity>();
        services.TryAddScoped<RejectStartActivity>();
        services.TryAddScoped(typeof(LogIgnoredActivity<>));

        services.TryAddSingleton<PollsInFlight>();
        services.TryAddSingleton<ClaimKeeper>();
        services.TryAddSingleton<BatchlessVmas>();
        services.TryAddTransient<ProgressFetcher>(); // holds a VmaClient: a typed HttpClient is not kept for ever
        services.TryAddTransient<ProgressPoller>();
        services.TryAddSingleton(sp => new VmaClientTls(
            sp.GetRequiredService<IOptions<VmaClientOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<VmaClientTls>()));
        services.AddHttpClient<VmaClient>()
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var client = sp.GetRequiredService<IOptions<VmaClientOptions>>().Value;
                var handler = new SocketsHttpHandler
                {
                    PooledConnectionLifetime = client.PooledConnectionLifetime,
                    Proxy = client.ProxyUrl is null ? null : new System.Net.WebProxy(client.ProxyUrl),
                    UseProxy = client.ProxyUrl is not null,
                    MaxConnectionsPerServer = 256,
                };
                sp.GetRequiredService<VmaClientTls>().Apply(handler.SslOptions);
                return handler;
            })
            .AddResilienceHandler("vma", (pipeline, context) =>
            {
                var tracking = context.ServiceProvider.GetRequiredService<IOptions<TrackingOptions>>().Value;
                var client = context.ServiceProvider.GetRequiredService<IOptions<VmaClientOptions>>().Value;
                pipeline.AddTimeout(tracking.HttpTimeout); // the seed's 10 s per request, retries included
                if (client.MaxRetryAttempts > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = client.MaxRetryAttempts,
                        Delay = client.RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                    });
                }
            });

        return services;
    }

    /// <summary>The workers' consumers and the saga, on whatever bus the host configures.</summary>
    public static IBusRegistrationConfigurator AddOmaWorkerConsumers(this IBusRegistrationConfigurator bus, bool inMemorySagaRepository = false)
    {
        bus.AddConsumer<PollProgressConsumer, PollProgressConsumerDefinition>();
        bus.AddConsumer<PollProgressBatchConsumer, PollProgressBatchConsumerDefinition>();
        bus.AddConsumer<StartVmaReplicationConsumer, StartVmaReplicationConsumerDefinition>();
        bus.AddConsumer<CancelVmaReplicationConsumer>();
        var saga = bus.AddSagaStateMachine<ReplicationStateMachine, ReplicationState, ReplicationStateDefinition>();
        if (inMemorySagaRepository)
        {
            saga.InMemoryRepository();
        }
        else
        {
            saga.UseReplicationStateRepository();
        }

        return bus;
    }
}
