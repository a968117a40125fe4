using Microsoft.Extensions.Logging.Console;

namespace Migration.Hosting;

/// <summary>
/// Console lines for people and for the Elastic stack: every line (one per event) starts with its UTC time (ISO 8601,
/// milliseconds), and carries its scopes (JobId, CorrelationId, Stage where a job is in hand). <c>Logging:Console:FormatterName=json</c>
/// writes one JSON object per line with <c>Timestamp</c>, <c>EventId</c>, <c>Category</c>, <c>LogLevel</c>,
/// <c>Message</c>, <c>State</c> and <c>Scopes</c>. A value set under <c>Logging:Console:FormatterOptions</c> wins.
///
/// </summary>
public static class ConsoleLogDefaults
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static IServiceCollection AddConsoleLogDefaults(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Logging:Console:FormatterOptions");
        var includeScopes = options.GetValue("IncludeScopes", true);
        var utc = options.GetValue("UseUtcTimestamp", true);
        var singleLine = options.GetValue("SingleLine", true);
        services.PostConfigure<SimpleConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = string.IsNullOrEmpty(o.TimestampFormat) ? TimestampFormat + " " : o.TimestampFormat;
            o.UseUtcTimestamp = utc;
            o.IncludeScopes = includeScopes;
            o.SingleLine = singleLine;
        });
        services.PostConfigure<JsonConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = string.IsNullOrEmpty(o.TimestampFormat) ? TimestampFormat : o.TimestampFormat.Trim();
            o.UseUtcTimestamp = utc;
            o.IncludeScopes = includeScopes;
        });
        return services;
    }
}
