using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Migration.Contracts;
using Migration.Oma.Bus;

namespace Migration.Benchmarks.Pipeline;

/// <summary>Publishes <see cref="StartReplication"/> commands on a run's virtual host, as an integrator does, through the product's own bus set-up.</summary>
public static class StartPublisher
{
    public static async Task PublishAsync(RabbitServer rabbit, string virtualHost, IEnumerable<StartReplication> starts)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "RabbitMq",
            ["Bus:RabbitMq:Host"] = rabbit.Host,
            ["Bus:RabbitMq:Port"] = rabbit.Port.ToString(CultureInfo.InvariantCulture),
            ["Bus:RabbitMq:VirtualHost"] = virtualHost,
            ["Bus:RabbitMq:Username"] = rabbit.User,
            ["Bus:RabbitMq:Password"] = rabbit.Password,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddMigrationBus(builder.Configuration, (_, _) => { });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            foreach (var batch in starts.Chunk(500))
            {
                await bus.PublishBatch(batch);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
