using Microsoft.Net.Http.Headers;
using Migration.Contracts.Text;

namespace Migration.VmaAgent.Api;

/// <summary>
/// Reads a JSON request body whole, within <see cref="MaxBytes"/>: another content type is 415, a larger body 413,
/// a broken chunked framing or a body that stalls 400/408 (Kestrel's verdict), each as problem+json and logged as a
/// warning, never an unhandled exception.
/// </summary>
public static partial class JsonBody
{
    /// <summary>Largest body accepted: a start request for a VM with a few dozen disks is a few KiB.</summary>
    public const int MaxBytes = 64 * 1024;

    public sealed record Read(byte[]? Body, IResult? Refusal);

    /// <param name="optional">An empty body (no content type needed) is allowed and read as zero bytes.</param>
    public static async Task<Read> ReadAsync(HttpRequest request, ILogger logger, bool optional, CancellationToken cancellationToken)
    {
        if (optional && request.ContentLength == 0)
        {
            return new Read([], null);
        }

        if (!IsJson(request.ContentType) && !(optional && request.ContentType is null && request.ContentLength is null or 0))
        {
            LogRefused(logger, SafeText.Escape(request.Path.Value), 415, SafeText.Escape(request.ContentType ?? "(none)"));
            return new Read(null, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "the body must be JSON: Content-Type: application/json"));
        }

        if (request.ContentLength > MaxBytes)
        {
            LogRefused(logger, SafeText.Escape(request.Path.Value), 413, $"Content-Length {request.ContentLength}");
            return new Read(null, TooLarge());
        }

        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (BadHttpRequestException ex)
        {
            LogRefused(logger, SafeText.Escape(request.Path.Value), ex.StatusCode, SafeText.Escape(ex.Message));
            return new Read(null, Problem(ex.StatusCode, "Unreadable request body",
                ex.StatusCode == StatusCodes.Status408RequestTimeout
                    ? "the body arrived too slowly"
                    : "the body's HTTP framing is broken (for example a malformed chunk)"));
        }

        if (length > MaxBytes)
        {
            LogRefused(logger, SafeText.Escape(request.Path.Value), 413, "chunked body over the limit");
            return new Read(null, TooLarge());
        }

        return new Read(buffer[..length], null);
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static IResult TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"the body may be at most {MaxBytes} bytes");

    private static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the body of a request to {Path} with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, int status, string reason);
}
