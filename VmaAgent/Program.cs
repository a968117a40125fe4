namespace Migration.VmaAgent;

public partial class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddVmaAgent(builder.Configuration);
        var app = builder.Build();
        app.MapVmaAgent();
        app.Run();
    }
}
