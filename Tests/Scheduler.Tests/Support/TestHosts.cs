using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Migration.Oma.Bus;
using Migration.Oma.Persistence;
using Migration.Scheduler;
using Migration.Scheduler.Messages;

namespace Migration.Tests.Scheduler.Support;

/// <summary>
/// A Scheduler process as the host composes it (in-memory transport, the scheduler endpoint, the sweep), with the
/// Quartz store the settings name.
/// </summary>
public static class TestHosts
{
    public static IHost Build(
        IDictionary<string, string?> settings,
        IJobQueries queries,
        Action<IBusRegistrationConfigurator>? bus = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(queries);
        if (queries is IPollSweepStore store)
        {
            builder.Services.AddSingleton(store);
        }
        builder.Services.AddMigrationBus(builder.Configuration, (b, _) =>
        {
            b.AddSchedulerEndpoint();
            bus?.Invoke(b);
        });
        builder.Services.AddPollScheduler(builder.Configuration);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>The ADO.NET store on PostgreSQL, clustered, with every interval compressed to a second.</summary>
    public static Dictionary<string, string?> Postgres(string connectionString, string schedulerName) => new()
    {
        ["Database:Provider"] = "Postgres",
        ["Database:ConnectionString"] = connectionString,
        ["Scheduler:Quartz:Store"] = "AdoNet",
        ["Scheduler:Quartz:SchedulerName"] = schedulerName,
        ["Scheduler:Quartz:ClusterCheckinInterval"] = "00:00:01",
        ["Tracking:PollInterval"] = "00:00:01",
    };
}
