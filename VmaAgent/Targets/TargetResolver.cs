using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Targets;

/// <summary>Turns a job's target (or the configured default) into a URI and the provider that serves its scheme.</summary>
public sealed class TargetResolver(IOptions<VmaOptions> options, IEnumerable<ITargetProvider> providers)
{
    private readonly string _directory = Path.GetFullPath(options.Value.Target.Directory);

    /// <summary>The default image: <c>&lt;Vma:Target:Directory&gt;/&lt;vm&gt;/&lt;disk-id&gt;.img</c>.</summary>
    public Uri DefaultUri(string vmName, string diskId) =>
        new(TargetFileName.DefaultImage(_directory, vmName, diskId));

    public string DefaultDirectory => _directory;

    public ITargetProvider ProviderFor(Uri uri) =>
        providers.FirstOrDefault(p => p.Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        ?? throw new NotSupportedException($"no target provider for '{uri.Scheme}://' URIs");

    /// <summary>Why a target URI from a request cannot be used by this VMA, or null (with the parsed URI) when it can.</summary>
    public static string? Validate(string? text, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var parsed))
        {
            return "must be an absolute URI: file:///path/to/image, nbd://host:port/export or nbd+unix:///export?socket=PATH";
        }

        if (Nbd.NbdAddress.Schemes.Contains(parsed.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            var problem = Nbd.NbdAddress.TryParse(parsed, out _);
            uri = problem is null ? parsed : null;
            return problem;
        }

        if (!parsed.IsFile || !string.IsNullOrEmpty(parsed.Host))
        {
            return $"the '{parsed.Scheme}' scheme is not a supported target; use file:///path (absolute local path)";
        }

        uri = parsed;
        return null;
    }
}
