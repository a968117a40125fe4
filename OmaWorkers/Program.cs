using Migration.Hosting;
using Migration.Oma.Bus;
using Migration.Oma.Hosting;
using Migration.Oma.Web;

namespace Migration.OmaWorkers;

/// <summary>The stateless worker: the replication saga and the consumers that talk to VMAs. Run N replicas.</summary>
public partial class Program
{
    public static int Main(string[] args) => HostStartup.Run("oma-workers", () => Build(args));

    private static WebApplication Build(string[] args)
    {
        // The shipped appsettings.json sits beside the assembly; the working directory stays where relative data paths resolve.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddServiceDefaults(builder.Configuration, "oma-workers");
        builder.Services.AddOmaWorkers(builder.Configuration);
        builder.Services.AddOmaWeb(builder.Configuration);
        builder.Services.AddMigrationBus(builder.Configuration, (bus, _) => bus.AddOmaWorkerConsumers());
        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapOmaWeb();
        return app;
    }
}
