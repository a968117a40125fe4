using System.Net;
using System.Text;
using System.Xml.Linq;
using Migration.VmaAgent.Telemetry;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// One vCenter session over one pooled <see cref="HttpClient"/> (the session cookie lives in its cookie container).
/// Every call that meets <c>NotAuthenticated</c> logs in again and is retried once: sessions expire during long
/// copies (vCenter's idle timeout is 30 min by default).
/// </summary>
public sealed partial class VimClient : IAsyncDisposable
{
    /// <summary>The SOAPAction vCenter routes by; 6.7's API has every call used here and newer vCenters serve it.</summary>
    private const string SoapAction = "urn:vim25/6.7";
    private static readonly MoRef ServiceInstance = new("ServiceInstance", "ServiceInstance");

    private readonly HttpClient _http;
    private readonly Uri _sdk;
    private readonly string _username;
    private readonly Func<string> _password;
    private readonly TimeSpan _callTimeout;
    private readonly ILogger _logger;
    private readonly VmaMetrics? _metrics;
    private readonly SemaphoreSlim _login = new(1, 1);
    private ServiceContent? _content;
    private int _generation;

    public VimClient(HttpMessageHandler handler, Uri sdk, string username, Func<string> password, TimeSpan callTimeout, ILogger logger,
        VmaMetrics? metrics = null)
    {
        _metrics = metrics;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _sdk = sdk;
        _username = username;
        _password = password;
        _callTimeout = callTimeout;
        _logger = logger;
    }

    public Uri SdkUrl => _sdk;

    /// <summary>The HTTP client (and so the session cookie) the datastore file service is read with.</summary>
    internal HttpClient Http => _http;

    internal TimeSpan CallTimeout => _callTimeout;

    /// <summary>How many times a session was (re-)established: a reader that got 401 compares it to log in once, not once per reader.</summary>
    internal int Generation => Volatile.Read(ref _generation);

    public async Task<ServiceContent> ContentAsync(CancellationToken cancellationToken)
    {
        if (_content is { } known)
        {
            return known;
        }

        await LoginAsync(Generation, cancellationToken);
        return _content!;
    }

    /// <summary>Calls <paramref name="method"/> on <paramref name="target"/>; returns its response element.</summary>
    public async Task<XElement> InvokeAsync(string method, MoRef target, IEnumerable<XElement> arguments, CancellationToken cancellationToken)
    {
        var args = arguments.ToList();
        await ContentAsync(cancellationToken);
        var generation = Generation;
        try
        {
            return await SendAsync(method, target, args, cancellationToken);
        }
        catch (NotAuthenticatedException)
        {
            LogSessionExpired(method, target.Value);
            await LoginAsync(generation, cancellationToken);
            return await SendAsync(method, target, args, cancellationToken);
        }
    }

    /// <summary>A request outside SOAP (a datastore read) was refused for its session: log in again once.</summary>
    internal Task ReloginAsync(int seenGeneration, string call, string target, CancellationToken cancellationToken)
    {
        LogSessionExpired(call, target);
        return LoginAsync(seenGeneration, cancellationToken);
    }

    /// <summary>Logs in again, unless another caller already did since <paramref name="seenGeneration"/>.</summary>
    internal async Task LoginAsync(int seenGeneration, CancellationToken cancellationToken)
    {
        await _login.WaitAsync(cancellationToken);
        try
        {
            if (Generation != seenGeneration && _content is not null)
            {
                return;
            }

            var content = ServiceContent.Parse(await SendAsync("RetrieveServiceContent", ServiceInstance, [], cancellationToken));
            await SendAsync("Login", content.SessionManager,
                [VimXml.Arg("userName", _username), VimXml.Arg("password", _password())], cancellationToken);
            _content = content;
            Interlocked.Increment(ref _generation);
            LogLoggedIn(_sdk, _username, content.ApiVersion);
        }
        finally
        {
            _login.Release();
        }
    }

    /// <summary>One SOAP round trip, timed as <c>vma.vcenter.call.duration</c> by method (a fault counts as an error).</summary>
    private Task<XElement> SendAsync(string method, MoRef target, IReadOnlyList<XElement> arguments, CancellationToken cancellationToken) =>
        _metrics is null
            ? SendCoreAsync(method, target, arguments, cancellationToken)
            : _metrics.MeasureVCenterAsync(method, () => SendCoreAsync(method, target, arguments, cancellationToken));

    private async Task<XElement> SendCoreAsync(string method, MoRef target, IReadOnlyList<XElement> arguments, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_callTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _sdk)
        {
            Content = new StringContent(VimXml.Envelope(method, target, arguments), Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("SOAPAction", SoapAction);
        XDocument document;
        HttpStatusCode status;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = response.StatusCode;
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            document = await XDocument.LoadAsync(body, LoadOptions.None, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VimUnavailableException($"vCenter at {_sdk} did not answer {method} within {_callTimeout}");
        }
        catch (HttpRequestException ex)
        {
            throw new VimUnavailableException($"vCenter at {_sdk} could not be reached for {method}: {ex.Message}", ex);
        }
        catch (System.Xml.XmlException ex)
        {
            throw new VimUnavailableException($"vCenter at {_sdk} answered {method} with something that is not SOAP XML: {ex.Message}", ex);
        }

        if (VimXml.FaultOf(document, method, target) is { } fault)
        {
            throw fault;
        }

        if (status != HttpStatusCode.OK)
        {
            throw new VimUnavailableException($"vCenter at {_sdk} answered {method} with HTTP {(int)status} and no SOAP fault");
        }

        return VimXml.ResponseOf(document, method);
    }

    public async ValueTask DisposeAsync()
    {
        if (_content is { } content)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await SendAsync("Logout", content.SessionManager, [], cts.Token);
            }
            catch (Exception ex) when (ex is VimFaultException or VimUnavailableException or OperationCanceledException)
            {
                LogLogoutFailed(ex.Message);
            }
        }

        _http.Dispose();
        _login.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Logged in to vCenter {Url} as {Username} (API {ApiVersion})")]
    private partial void LogLoggedIn(Uri url, string username, string apiVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "vCenter session not authenticated on {Call} ({Target}): logging in again and retrying once")]
    private partial void LogSessionExpired(string call, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "vCenter logout failed: {Reason}")]
    private partial void LogLogoutFailed(string reason);
}

/// <summary>The managers a session works with, from <c>RetrieveServiceContent</c>.</summary>
public sealed record ServiceContent(MoRef RootFolder, MoRef PropertyCollector, MoRef ViewManager, MoRef SearchIndex, MoRef SessionManager, string ApiVersion)
{
    public static ServiceContent Parse(XElement response)
    {
        var returnval = VimXml.Child(response, "returnval") ?? throw new FormatException("RetrieveServiceContent returned nothing");
        MoRef Need(string name) => VimXml.MoRefOf(VimXml.Child(returnval, name) ?? throw new FormatException($"the service content has no {name}"));
        return new ServiceContent(Need("rootFolder"), Need("propertyCollector"), Need("viewManager"), Need("searchIndex"), Need("sessionManager"),
            VimXml.Text(VimXml.Child(returnval, "about"), "apiVersion") ?? "unknown");
    }
}
