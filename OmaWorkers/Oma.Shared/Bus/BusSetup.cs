using MassTransit;
using Microsoft.Extensions.Options;

namespace Migration.Oma.Bus;

/// <summary>
/// One place that chooses the transport and the message scheduler; every host (workers, scheduler, the CLI demo)
/// adds its own consumers through <paramref name="register"/>. MassTransit allows one bus per container, so a process
/// that plays several roles passes several registrations.
/// </summary>
public static class BusSetup
{
    public static IServiceCollection AddMigrationBus(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator, BusOptions> register)
    {
        services.AddOptions<BusOptions>().Bind(configuration.GetSection(BusOptions.Section));
        var options = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();

        // A host is started only when its bus is connected and its queues are bound (BusStartGate, registered after
        // MassTransit's hosted service): a message published right after start-up is never dropped for want of a
        // binding, /health/ready means ready, and a bus that does not get there in time ends the host.
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = false;
            o.StartTimeout = options.StartTimeout;
            o.StopTimeout = TimeSpan.FromSeconds(20); // within the host's 25 s shutdown, itself within Kubernetes' 45 s grace
        });

        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            register(bus, options);

            switch (options.Transport)
            {
                case BusTransport.InMemory:
                    // One process: MassTransit's in-memory delayed scheduler carries the saga's timeouts.
                    bus.AddDelayedMessageScheduler();
                    bus.UsingInMemory((context, cfg) =>
                    {
                        cfg.UseDelayedMessageScheduler();
                        cfg.UseConsumeFilter(typeof(JobScopeFilter<>), context);
                        cfg.ConfigureEndpoints(context);
                    });
                    break;

                case BusTransport.RabbitMq:
                    // RabbitMQ from Debian has no delayed-message plugin: the Scheduler process's Quartz endpoint
                    // stores every scheduled message durably and sends it when due.
                    var schedulerAddress = new Uri($"queue:{options.SchedulerQueue}");
                    bus.AddMessageScheduler(schedulerAddress);
                    bus.UsingRabbitMq((context, cfg) =>
                    {
                        var rabbit = context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq;
                        cfg.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                        {
                            h.Username(rabbit.Username);
                            h.Password(rabbit.Password);
                            h.PublisherConfirmation = true;
                        });
                        cfg.UseMessageScheduler(schedulerAddress);

                        // Integrators that are not .NET may publish bare JSON (content type application/json) naming the
                        // contract in the MT-MessageType header; without AnyMessageType a bare message is only ever
                        // dispatched as the type it names, never as every type the saga's queue handles.
                        // A bare message without that header names no type, and MassTransit would then offer it as every
                        // type: NamedMessageTypeFilter sends it to _error instead.
                        cfg.UseRawJsonDeserializer(RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders, isDefault: false);
                        cfg.UseConsumeFilter(typeof(JobScopeFilter<>), context);
                        cfg.UseConsumeFilter(typeof(NamedMessageTypeFilter<>), context);
                        cfg.ConfigureEndpoints(context);
                    });
                    break;

                default:
                    throw new InvalidOperationException($"Bus:Transport '{options.Transport}' is not one of InMemory, RabbitMq");
            }
        });

        services.AddHostedService<BusStartGate>();
        return services;
    }
}
