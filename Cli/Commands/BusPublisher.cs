using MassTransit;
using Migration.Oma.Bus;

namespace Migration.Cli.Commands;

/// <summary>Publishes one command on the configured RabbitMQ, as any integrator would, and disconnects.</summary>
public static class BusPublisher
{
    public static async Task PublishAsync<T>(IConfiguration configuration, T message, string command, CancellationToken cancellationToken)
        where T : class
    {
        var bus = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (bus.Transport != BusTransport.RabbitMq)
        {
            throw new CliException($"{command} publishes to RabbitMQ: set Bus__Transport=RabbitMq and Bus__RabbitMq__Host/Username/Password/VirtualHost (the demo runs everything in-process instead)");
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Services.AddMigrationBus(builder.Configuration, (_, _) => { });
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(message, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
