namespace Migration.VmaAgent.Tls;

/// <summary>
/// The agent's HTTPS endpoint as ASP.NET Core configures it (<c>Kestrel:Endpoints:Https:Url</c>,
/// <c>:Certificate:Path</c>, <c>:Certificate:KeyPath</c>); Kestrel binds it, the agent adds client-certificate
/// checks and certificate reloading on top.
/// </summary>
public sealed record HttpsEndpointSettings(string Url, string CertificatePath, string KeyPath)
{
    public const string Section = "Kestrel:Endpoints:Https";

    /// <summary>Null when no HTTPS endpoint is configured (the plain-HTTP embedded default).</summary>
    public static HttpsEndpointSettings? Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var url = section["Url"];
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var certificate = section["Certificate:Path"];
        var key = section["Certificate:KeyPath"];
        if (string.IsNullOrWhiteSpace(certificate) || string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidOperationException(
                $"{Section}:Url is set, so {Section}:Certificate:Path and {Section}:Certificate:KeyPath must name the agent's PEM certificate and key");
        }

        return new HttpsEndpointSettings(url, certificate, key);
    }
}
