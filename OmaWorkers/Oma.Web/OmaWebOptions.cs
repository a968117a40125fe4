namespace Migration.Oma.Web;

/// <summary>The read-only API and its live page (section <c>Web</c>).</summary>
public sealed class OmaWebOptions
{
    public const string Section = "Web";

    /// <summary>How often each open event stream reads the database for changed jobs. Default 1 s.</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A comment line this often keeps an idle event stream open through proxies. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Jobs a page of <c>GET /api/v1/jobs</c> holds unless <c>limit</c> says otherwise. Default 50.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Most jobs one page (and one event stream) holds. Default 200.</summary>
    public int MaxPageSize { get; set; } = 200;

    /// <summary>Largest <c>offset</c> accepted: deeper pages are refused rather than scanned. Default 100,000.</summary>
    public int MaxOffset { get; set; } = 100_000;
}
