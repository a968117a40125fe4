namespace Migration.OmaWorkers.Vma;

/// <summary>Config section <c>VmaClient</c>: how the OMA reaches VMAs (through the TLS tunnel).</summary>
public sealed class VmaClientOptions
{
    public const string Section = "VmaClient";

    /// <summary>HTTP proxy for the tunnel, if the site needs one (null: direct).</summary>
    public Uri? ProxyUrl { get; set; }

    /// <summary>Retries inside one poll for transient errors (the next poll is 2 s away anyway, so few).</summary>
    public int MaxRetryAttempts { get; set; } = 1;

    /// <summary>First retry delay (exponential with jitter after it).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pooled connections are recycled after this long so DNS changes of a VMA are picked up.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The OMA's client certificate for mutual TLS (<c>VmaClient:ClientCertificate:Path</c> / <c>:KeyPath</c>, PEM; re-read when changed). Default none.</summary>
    public ClientCertificateFiles ClientCertificate { get; set; } = new();

    /// <summary>PEM bundle of the CA(s) a VMA's certificate must chain to (instead of the system's roots). Default none.</summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>SHA-256 thumbprints of VMA certificates trusted without a CA. Default none.</summary>
    public List<string> PinnedThumbprints { get; set; } = [];

    /// <summary>Largest progress answer read; a longer one is cut off and counts as a failed contact. Default 1 MiB.</summary>
    public int MaxAnswerBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest batch progress answer read (<c>POST /api/v1/progress/batch</c>); a longer one fails the poll of every job
    /// it was asked about. Each document in it is still held to <see cref="MaxAnswerBytes"/>. Default 16 MiB.
    /// </summary>
    public int MaxBatchAnswerBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long a VMA that answered the batch endpoint with 404 or 405 (an older VMA) is polled job by job before the
    /// batch endpoint is tried again (it may have been upgraded). Default 10 min.
    /// </summary>
    public TimeSpan BatchlessRecheckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How far in the future a VMA's time stamps may be (clock skew) before its answer is refused. Default 5 min.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether a VMA's certificate must name the host of its URL. Default true; turning it off is logged as a warning.</summary>
    public bool VerifyHostname { get; set; } = true;
}

public sealed class ClientCertificateFiles
{
    /// <summary>PEM certificate (null: no client certificate is presented).</summary>
    public string? Path { get; set; }

    /// <summary>PEM private key of <see cref="Path"/>.</summary>
    public string? KeyPath { get; set; }
}
