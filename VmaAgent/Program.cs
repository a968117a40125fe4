namespace Migration.VmaAgent;

public partial class Program
{
    public static void Main(string[] args)
    {
        // The shipped appsettings.json sits beside the assembly; the working directory stays where relative data paths resolve.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddVmaAgent(builder.Configuration);
        var app = builder.Build();
        app.MapVmaAgent();
        app.Run();
    }
}
