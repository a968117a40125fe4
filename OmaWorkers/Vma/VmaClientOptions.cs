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
}
