using Migration.Hosting;
using OpenTelemetry.Resources;

namespace Migration.VmaAgent;

public partial class Program
{
    public static int Main(string[] args) => HostStartup.Run("vma-agent", () => Build(args));

    private static WebApplication Build(string[] args)
    {
        // The shipped appsettings.json sits beside the assembly; the working directory stays where relative data paths resolve.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddConsoleLogDefaults(builder.Configuration);
        builder.Services.AddVmaAgent(builder.Configuration);
        builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("vma-agent"));
        var app = builder.Build();
        app.MapVmaAgent();
        return app;
    }
}
