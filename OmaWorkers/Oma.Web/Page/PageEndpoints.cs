using System.Reflection;

namespace Migration.Oma.Web.Page;

/// <summary>
/// The live page: one HTML file, one script, one style sheet, embedded in this assembly (no build step). The page
/// only talks to this host's read-only API, so the policy allows nothing but this origin.
/// </summary>
public static class PageEndpoints
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "page/index.html", "text/html; charset=utf-8"),
        ("/web/app.js", "page/app.js", "text/javascript; charset=utf-8"),
        ("/web/app.css", "page/app.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapPageEndpoints(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var content = Read(resource);
            endpoints.MapGet(path, (HttpResponse response) =>
            {
                response.Headers.ContentSecurityPolicy = Policy;
                response.Headers.XContentTypeOptions = "nosniff";
                response.Headers.CacheControl = "no-cache";
                return TypedResults.Bytes(content, contentType);
            }).ExcludeFromDescription();
        }

        return endpoints;
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the page resource {resource} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
