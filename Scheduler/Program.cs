using Migration.OmaWorkers.Bus;
using Migration.Scheduler.Hosting;
using Migration.Scheduler.Messages;

namespace Migration.Scheduler;

public partial class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddMigrationBus(builder.Configuration, (bus, options) =>
        {
            // In memory, MassTransit's delayed scheduler carries scheduled messages; on RabbitMQ this endpoint does.
            if (options.Transport == BusTransport.RabbitMq)
            {
                bus.AddSchedulerEndpoint(options.SchedulerQueue);
            }
        });
        builder.Services.AddPollScheduler(builder.Configuration);
        // TODO(lead): builder.Services.AddMigrationPersistence(builder.Configuration); — registers the sweep's IJobQueries.
        builder.Services.AddSchedulerHosting();

        var app = builder.Build();
        app.MapSchedulerEndpoints();
        app.Run();
    }
}
