using Migration.Hosting;
using Migration.Oma.Bus;
using Migration.Oma.Hosting;
using Migration.Oma.Persistence;
using Migration.Scheduler.Hosting;
using Migration.Scheduler.Messages;
using Migration.Scheduler.Telemetry;

namespace Migration.Scheduler;

/// <summary>The 2-second poll sweep and, on RabbitMQ, the durable message-scheduler endpoint. Run 1+ replicas.</summary>
public partial class Program
{
    public static int Main(string[] args) => HostStartup.Run("scheduler", () => Build(args));

    private static WebApplication Build(string[] args)
    {
        // The shipped appsettings.json sits beside the assembly; the working directory stays where relative data paths resolve.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddServiceDefaults(builder.Configuration, "scheduler");
        builder.Services.AddMigrationPersistence(builder.Configuration);
        builder.Services.AddMigrationBus(builder.Configuration, (bus, options) =>
        {
            // In memory, MassTransit's delayed scheduler carries scheduled messages; on RabbitMQ this endpoint does.
            if (options.Transport == BusTransport.RabbitMq)
            {
                bus.AddSchedulerEndpoint(options.SchedulerQueue);
            }
        });
        builder.Services.AddPollScheduler(builder.Configuration);
        builder.Services.AddSchedulerHealth();
        builder.Services.AddJobGauges(builder.Configuration);

        var app = builder.Build();
        app.MapServiceDefaults();
        return app;
    }
}
