namespace Migration.Oma.Telemetry;

/// <summary>How a VMA is named in metric labels: one value per site, where the full URL could differ per job.</summary>
public static class VmaLabel
{
    /// <summary>The VMA URL's host and port (<c>vma-site-a.migration.svc:443</c>); <c>invalid</c> for what is not an absolute URL.</summary>
    public static string Of(string vmaUrl) =>
        Uri.TryCreate(vmaUrl, UriKind.Absolute, out var uri) ? uri.Authority : "invalid";
}
