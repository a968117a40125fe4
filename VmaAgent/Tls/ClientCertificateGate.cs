using Migration.Contracts.Text;

namespace Migration.VmaAgent.Tls;

/// <summary>
/// With HTTPS on, the only requests served are those over TLS with an accepted client certificate, and the health
/// probes and the metrics scrape (read-only, no job data) on a plain connection; everything else is refused and logged, before routing.
/// </summary>
public sealed partial class ClientCertificateGate(RequestDelegate next, ILogger<ClientCertificateGate> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.IsHttps)
        {
            if (context.Request.Path.Value is "/health/live" or "/health/ready" or "/metrics"
                && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                return next(context);
            }

            LogPlainRefused(logger, context.Request.Method, SafeText.Escape(context.Request.Path.Value), context.Connection.RemoteIpAddress?.ToString());
            return Results.Problem(
                title: "Not served here",
                detail: "this plain-HTTP port serves only GET /health/live, /health/ready and /metrics; the API needs HTTPS with a client certificate",
                statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
        }

        if (context.Connection.ClientCertificate is null)
        {
            LogNoCertificate(logger, context.Request.Method, SafeText.Escape(context.Request.Path.Value), context.Connection.RemoteIpAddress?.ToString());
            return Results.Problem(
                title: "Client certificate required",
                detail: "this agent answers only callers that present an accepted client certificate",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }

        return next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Remote}: no client certificate")]
    private static partial void LogNoCertificate(ILogger logger, string method, string path, string? remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Remote} on the plain health port")]
    private static partial void LogPlainRefused(ILogger logger, string method, string path, string? remote);
}
