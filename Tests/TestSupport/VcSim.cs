using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;

namespace Migration.Tests.Support;

/// <summary>
/// One running vCenter simulator (Tests/VcSim, built by <c>scripts/vcsim.sh</c>; <c>./test.sh</c> exports its path as
/// <c>VCSIM_BIN</c>): its SDK URL, certificate thumbprints and CA file, and its control API. Disposing kills it by pid.
/// </summary>
public sealed class VcSim : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _control;
    private readonly List<string> _stderr = [];
    private int _disposed;

    private VcSim(Process process, string directory, Dictionary<string, string> info)
    {
        _process = process;
        _directory = directory;
        SdkUrl = new Uri(info["url"]);
        ThumbprintSha256 = info["thumbprint-sha256"];
        ThumbprintSha1 = info["thumbprint-sha1"];
        CaFile = info["ca-file"];
        ControlUrl = new Uri(info["control"] + "/");
        VmNames = info["vms"].Split(',');
        Datastores = (info.GetValueOrDefault("datastores") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        var pinned = Convert.FromHexString(ThumbprintSha256.Replace(":", "", StringComparison.Ordinal));
        _control = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && SHA256.HashData(cert.GetRawCertData()).AsSpan().SequenceEqual(pinned) },
        })
        { BaseAddress = ControlUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public const string Username = "user";
    public const string Password = "vcsim-s3cret-9f2";

    public Uri SdkUrl { get; }

    public string ThumbprintSha256 { get; }

    public string ThumbprintSha1 { get; }

    public string CaFile { get; }

    public Uri ControlUrl { get; }

    public IReadOnlyList<string> VmNames { get; }

    /// <summary>Each datastore's folder on this machine, by name (<c>LocalDS_0</c>).</summary>
    public IReadOnlyDictionary<string, string> Datastores { get; }

    public int ProcessId => _process.Id;

    public static string BinaryPath()
    {
        if (Environment.GetEnvironmentVariable("VCSIM_BIN") is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        var root = RepositoryRoot();
        var script = Path.Combine(root, "scripts", "vcsim.sh");
        using var build = Process.Start(new ProcessStartInfo(script, "build") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var path = build.StandardOutput.ReadToEnd().Trim();
        var errors = build.StandardError.ReadToEnd();
        build.WaitForExit();
        return build.ExitCode == 0 && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"building the vCenter simulator failed (scripts/vcsim.sh build): {errors}");
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Migration.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Migration.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts a simulator; <paramref name="arguments"/> are its flags (e.g. <c>-max-areas 2</c>).</summary>
    public static async Task<VcSim> StartAsync(params string[] arguments)
    {
        var directory = Path.Combine(RepositoryRoot(), ".tmp", "vcsim-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(BinaryPath())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-dir", directory, "-exit-on-stdin-eof", "-username", Username, "-password", Password, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the vCenter simulator did not start");
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            info["url"] = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("no SDK URL");
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line && line != "ready")
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                info[line[..space]] = line[(space + 1)..];
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the vCenter simulator did not report ready: {await process.StandardError.ReadToEndAsync()}", ex);
        }

        var sim = new VcSim(process, directory, info);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } text)
            {
                lock (sim._stderr)
                {
                    sim._stderr.Add(text);
                }
            }
        };
        process.BeginErrorReadLine();
        return sim;
    }

    /// <summary>The settings that point a VMA at this simulator, its certificate pinned by SHA-256 thumbprint.</summary>
    public Dictionary<string, string?> VmaSettings() => new()
    {
        ["Vma:Source"] = "VSphere",
        ["Vma:VSphere:Url"] = SdkUrl.ToString(),
        ["Vma:VSphere:Username"] = Username,
        ["Vma:VSphere:Password"] = Password,
        ["Vma:VSphere:Thumbprint"] = ThumbprintSha256,
        ["Vma:VSphere:CallTimeout"] = "00:00:20",
        ["Vma:VSphere:TaskPollInterval"] = "00:00:00.050",
        ["Vma:VSphere:TaskTimeout"] = "00:01:00",
    };

    public async Task<IReadOnlyList<SimVm>> VmsAsync() =>
        (await _control.GetFromJsonAsync<SimInventory>("vms"))!.Vms;

    public async Task<SimVm> VmAsync(string name) => (await VmsAsync()).Single(v => v.Name == name);

    public async Task WriteAsync(string vm, int diskKey, long offset, byte[] data)
    {
        using var response = await _control.PostAsync($"vms/{vm}/disks/{diskKey}/write?offset={offset}", new ByteArrayContent(data));
        await EnsureAsync(response);
    }

    public async Task<string> Sha256Async(string vm, int diskKey) =>
        (await _control.GetFromJsonAsync<SimHash>($"vms/{vm}/disks/{diskKey}/sha256"))!.Sha256;

    /// <summary>The journal's areas of the live disk: <c>"*"</c> the allocated ones, else those changed since the change id.</summary>
    public async Task<SimAreas> AreasAsync(string vm, int diskKey, string changeId) =>
        (await _control.GetFromJsonAsync<SimAreas>($"vms/{vm}/disks/{diskKey}/areas?changeId={Uri.EscapeDataString(changeId)}"))!;

    public Task ResetCbtAsync(string vm, int diskKey) => PostAsync($"vms/{vm}/disks/{diskKey}/reset-cbt");

    public Task SetCbtAsync(string vm, bool enabled) => PostAsync($"vms/{vm}/cbt?enabled={(enabled ? "true" : "false")}");

    public Task RenameAsync(string vm, string name) => PostAsync($"vms/{vm}/rename?name={Uri.EscapeDataString(name)}");

    public async Task<IReadOnlyList<string>> SnapshotsAsync(string vm) =>
        (await _control.GetFromJsonAsync<SimSnapshots>($"vms/{vm}/snapshots"))!.Snapshots;

    public Task ExpireSessionsAsync() => PostAsync("sessions/expire");

    public Task DelayAsync(TimeSpan delay) => PostAsync($"delay?ms={(int)delay.TotalMilliseconds}");

    public Task FailNextAsync(string method, string message) =>
        PostAsync($"fail-next-task?method={Uri.EscapeDataString(method)}&message={Uri.EscapeDataString(message)}");

    /// <summary>Lets the task held with a zero step move past its current progress value (after the last one it really runs).</summary>
    public Task AdvanceTaskAsync(string method) => PostAsync($"advance-task?method={Uri.EscapeDataString(method)}");

    /// <summary>
    /// The next task of <paramref name="method"/> stays running, showing each progress value for <paramref name="step"/>
    /// (or, with a zero step, until <see cref="AdvanceTaskAsync"/>), before it really runs.
    /// </summary>
    public Task HoldNextTaskAsync(string method, IReadOnlyList<int> progress, TimeSpan step) =>
        PostAsync($"hold-next-task?method={Uri.EscapeDataString(method)}&progress={string.Join(',', progress)}&step-ms={(int)step.TotalMilliseconds}");

    /// <summary>How many SOAP calls of each method the simulator has answered.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CallsAsync() =>
        (await _control.GetFromJsonAsync<SimCalls>("calls"))!.Calls;

    /// <summary>Reproducible bytes to write into a disk.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public string StandardError()
    {
        lock (_stderr)
        {
            return string.Join('\n', _stderr.TakeLast(40));
        }
    }

    private async Task PostAsync(string path)
    {
        using var response = await _control.PostAsync(path, null);
        await EnsureAsync(response);
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"vcsim control {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _control.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still being closed by the dying process; .tmp/ is ignored by git.
        }
    }
}

public sealed record SimInventory([property: JsonPropertyName("vms")] IReadOnlyList<SimVm> Vms);

public sealed record SimVm(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("moref")] string Moref,
    [property: JsonPropertyName("instance_uuid")] string InstanceUuid,
    [property: JsonPropertyName("change_tracking_enabled")] bool ChangeTrackingEnabled,
    [property: JsonPropertyName("disks")] IReadOnlyList<SimDisk> Disks);

public sealed record SimDisk(
    [property: JsonPropertyName("key")] int Key,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("capacity")] long Capacity,
    [property: JsonPropertyName("tracking")] bool Tracking,
    [property: JsonPropertyName("epoch")] string Epoch,
    [property: JsonPropertyName("change_id")] string ChangeId)
{
    public string Id => $"disk-{Key}";
}

public sealed record SimAreas([property: JsonPropertyName("areas")] IReadOnlyList<long[]> Areas, [property: JsonPropertyName("bytes")] long Bytes);

public sealed record SimHash([property: JsonPropertyName("sha256")] string Sha256, [property: JsonPropertyName("bytes")] long Bytes);

public sealed record SimCalls([property: JsonPropertyName("calls")] IReadOnlyDictionary<string, int> Calls);

public sealed record SimSnapshots([property: JsonPropertyName("snapshots")] IReadOnlyList<string> Snapshots);
