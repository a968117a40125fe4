using Migration.VmaAgent.Hosting;
using OpenTelemetry.Resources;

namespace Migration.VmaAgent;

public partial class Program
{
    public static int Main(string[] args) => HostStartup.Run("vma-agent", () => Build(args));

    private static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddConsoleLogDefaults(builder.Configuration);
        builder.Services.AddVmaAgent(builder.Configuration);
        builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("vma-agent"));
        var app = builder.Build();
        app.MapVmaAgent();
        return app;
    }
}
