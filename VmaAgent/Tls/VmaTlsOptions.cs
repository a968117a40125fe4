namespace Migration.VmaAgent.Tls;

/// <summary>
/// Section <c>Vma:Tls</c>: the client certificates the agent accepts once it serves HTTPS
/// (<c>Kestrel:Endpoints:Https:Url</c> with <c>:Certificate:Path</c> / <c>:KeyPath</c>). Without an HTTPS endpoint these are unused.
/// </summary>
public sealed class VmaTlsOptions
{
    /// <summary>PEM bundle of the CA(s) an OMA's client certificate must chain to (re-read when it changes). Default none.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>SHA-256 thumbprints (hex, ':' or spaces allowed) of client certificates accepted without a CA. Default none.</summary>
    public List<string> AllowedClientThumbprints { get; set; } = [];

    /// <summary>
    /// Plain-HTTP URLs, separated by ';' like <c>--urls</c>, that serve only the probes <c>/health/live</c>,
    /// <c>/health/ready</c> and the read-only <c>/metrics</c> (so Prometheus needs no client certificate). Default none.
    /// </summary>
    public string? HealthUrls { get; set; }

    public IEnumerable<string> HealthUrlList =>
        (HealthUrls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
