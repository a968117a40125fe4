using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Jobs;
using Migration.VmaAgent.Telemetry;
using Migration.VmaAgent.VSphere;

namespace Migration.VmaAgent.Sources.VSphere;

/// <summary><see cref="IReplicationSource"/> over vCenter's vim25 API (<c>Vma:Source=VSphere</c>).</summary>
public sealed partial class VSphereSource : IReplicationSource, IAsyncDisposable
{
    private readonly VSphereOptions _options;
    private readonly VimClient _client;
    private readonly VimApi _api;
    private readonly ISnapshotDiskReader _reader;
    private readonly ILogger<VSphereSource> _logger;
    private readonly ConcurrentDictionary<string, VimVm> _discovered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string DatacenterPath, string DatastoreName)> _datastores = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggers;
    private readonly Lock _sweepLock = new();
    private Task? _sweep;

    public VSphereSource(IOptions<VmaOptions> options, TimeProvider time, ILoggerFactory loggers, VmaMetrics? metrics = null)
    {
        _options = options.Value.VSphere;
        _logger = loggers.CreateLogger<VSphereSource>();
        var policy = new VimCertificatePolicy(_options.Thumbprint, _options.CaFile, _options.Insecure);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            UseCookies = true,
            CookieContainer = new CookieContainer(),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, errors) => policy.Validate(certificate, chain, errors) },
        };
        var url = new Uri(_options.Url!);
        if (policy.IsInsecure)
        {
            LogInsecure(url);
        }

        LogConfigured(url, _options.Username!, policy.Describe());
        _client = new VimClient(handler, url, _options.Username!, ReadPassword, _options.CallTimeout, loggers.CreateLogger<VimClient>(), metrics);
        _api = new VimApi(_client, time, _options.TaskTimeout, _options.TaskPollInterval);
        _reader = string.Equals(_options.DiskReader, "Nbd", StringComparison.OrdinalIgnoreCase)
            ? new NbdSnapshotDiskReader(_options, options.Value.Nbd, time, ReadPassword, loggers.CreateLogger<NbdSnapshotDiskReader>())
            : new DatastoreFileReader(_client);
        _loggers = loggers;
    }

    public string Kind => "VSphere";

    /// <summary>The vim25 calls of this source's session (the demo reads source disks back through it).</summary>
    public VimApi Api => _api;

    public async ValueTask<SourceVm?> FindVmAsync(VmReference vm, CancellationToken cancellationToken)
    {
        try
        {
            VimVm? found;
            if (vm.Moref is { } moref)
            {
                found = await _api.GetVmAsync(new MoRef("VirtualMachine", moref), cancellationToken);
            }
            else if (vm.Uuid is { } uuid)
            {
                found = await _api.FindByInstanceUuidAsync(uuid, cancellationToken) is { } byUuid
                    ? await _api.GetVmAsync(byUuid, cancellationToken)
                    : null;
            }
            else
            {
                var matches = await _api.FindVmsByNameAsync(vm.Name!, cancellationToken);
                if (matches.Count > 1)
                {
                    throw new AmbiguousVmException(
                        $"VM name '{vm.Name}' matches {matches.Count} VMs in vCenter ({string.Join(", ", matches.Select(m => m.Ref.Value))}); name one by moref or uuid");
                }

                found = matches.Count == 1 ? matches[0] : null;
            }

            if (found is null)
            {
                return null;
            }

            _discovered[found.Ref.Value] = found;
            return new SourceVm(found.Name, found.Ref.Value, found.InstanceUuid ?? "",
                [.. found.Disks.Select(d => new SourceDiskInfo(DiskId(d.Key), d.Label, d.CapacityBytes, d.Key))]);
        }
        catch (Exception ex) when (ex is VimUnavailableException or VimFaultException or VimTaskFailedException)
        {
            throw new SourceUnavailableException($"looking up VM {vm.Display}: {ex.Message}", ex);
        }
    }

    public async ValueTask<string?> EnableChangeTrackingAsync(SourceVm vm, CancellationToken cancellationToken)
    {
        var current = await DiscoveredAsync(vm, cancellationToken);
        if (current.ChangeTrackingEnabled)
        {
            return null;
        }

        try
        {
            await _api.SetChangeTrackingAsync(current.Ref, enabled: true, cancellationToken);
        }
        catch (Exception ex) when (ex is VimFaultException or VimTaskFailedException)
        {
            throw new JobFailedException($"CBT could not be enabled on VM '{vm.Name}' ({vm.Moref}): {ex.Message}");
        }

        var after = await _api.GetVmAsync(current.Ref, cancellationToken);
        if (after is not { ChangeTrackingEnabled: true })
        {
            throw new JobFailedException($"CBT could not be enabled on VM '{vm.Name}' ({vm.Moref}): vCenter accepted the reconfiguration but changeTrackingEnabled is still false");
        }

        _discovered[vm.Moref] = after;
        LogCbtEnabled(vm.Name, vm.Moref);
        return $"Changed block tracking was off on VM '{vm.Name}' ({vm.Moref}): enabled it; it takes effect at this job's snapshot";
    }

    public async ValueTask<ChangeIdCheck> CheckChangeIdAsync(SourceVm vm, string diskId, string changeId, CancellationToken cancellationToken)
    {
        var current = await DiscoveredAsync(vm, cancellationToken);
        var disk = current.Disks.FirstOrDefault(d => DiskId(d.Key) == diskId);
        if (disk is null)
        {
            return ChangeIdCheck.Unusable($"VM '{vm.Name}' has no disk {diskId} any more");
        }

        if (Epoch(changeId) is not { } previous)
        {
            return ChangeIdCheck.Unusable($"'{changeId}' is not a vSphere change id (<uuid>/<sequence>)");
        }

        if (disk.ChangeId is null || Epoch(disk.ChangeId) is not { } now)
        {
            return ChangeIdCheck.Unusable("CBT was not active on the disk before this job (it has no current change id)");
        }

        return previous == now
            ? ChangeIdCheck.Ok
            : ChangeIdCheck.Unusable($"CBT was reset on the disk: the change id's uuid part '{previous}' differs from the disk's current '{now}'");
    }

    /// <summary>
    /// Removes every <c>migration-*</c> snapshot of the inventory, once (later calls return the same sweep). It fails never (it is
    /// only cancelled by a shutdown); jobs take their snapshot only after it ends, so it never meets one of theirs.
    /// </summary>
    public Task RemoveOrphanedSnapshotsAsync(CancellationToken cancellationToken)
    {
        lock (_sweepLock)
        {
            return _sweep ??= Task.Run(() => new OrphanedSnapshotSweep(_api, _loggers.CreateLogger<OrphanedSnapshotSweep>()).RunAsync(cancellationToken), CancellationToken.None);
        }
    }

    public async ValueTask<ISourceSnapshot> CreateSnapshotAsync(SourceVm vm, string snapshotName, CancellationToken cancellationToken)
    {
        Task? sweep;
        lock (_sweepLock)
        {
            sweep = _sweep;
        }

        if (sweep is not null)
        {
            await sweep.WaitAsync(cancellationToken);
        }

        var vmRef = new MoRef("VirtualMachine", vm.Moref);
        var notes = new List<string>();
        foreach (var orphan in (await _api.ListSnapshotsAsync(vmRef, cancellationToken)).Where(s => s.Name.StartsWith(OrphanedSnapshotSweep.SnapshotPrefix, StringComparison.Ordinal)))
        {
            await _api.RemoveSnapshotAsync(orphan.Ref, cancellationToken);
            LogOrphanRemoved(orphan.Name, orphan.Ref.Value, vm.Name);
            notes.Add($"Removed snapshot '{orphan.Name}' ({orphan.Ref.Value}) left on VM '{vm.Name}' by an earlier run");
        }

        var jobId = snapshotName.StartsWith(OrphanedSnapshotSweep.SnapshotPrefix, StringComparison.Ordinal) ? snapshotName[OrphanedSnapshotSweep.SnapshotPrefix.Length..] : snapshotName;
        var snapshot = await _api.CreateSnapshotAsync(vmRef, snapshotName, "Replication snapshot of the migration VMA; removed when the job ends", _options.Quiesce, cancellationToken,
            p => LogTaskProgress(p.Call, p.Task, p.Target, jobId, p.Percent));
        var opened = new Dictionary<string, ISourceDisk>(StringComparer.Ordinal);
        try
        {
            var frozen = await _api.SnapshotDisksAsync(snapshot, cancellationToken);
            var disks = new Dictionary<string, VSphereSnapshotDisk>(StringComparer.Ordinal);
            foreach (var info in vm.Disks)
            {
                var disk = frozen.FirstOrDefault(d => d.Key == info.DeviceKey)
                    ?? throw new JobFailedException($"snapshot {snapshot} of VM '{vm.Name}' has no disk with key {info.DeviceKey}");
                var ds = disk.Datastore ?? throw new JobFailedException($"disk {info.Id} of snapshot {snapshot} names no datastore");
                if (!_datastores.TryGetValue(ds.Value, out var location))
                {
                    location = await _api.DatastoreLocationAsync(ds, cancellationToken);
                    _datastores[ds.Value] = location;
                }

                var (dcPath, dsName) = location;
                disks[info.Id] = new VSphereSnapshotDisk(disk.Key, disk.ChangeId ?? "",
                    new SnapshotDiskLocation(vm.Moref, snapshot.Value, disk.FileName, dcPath, dsName, disk.CapacityBytes));
            }

            foreach (var (id, disk) in disks)
            {
                opened[id] = await _reader.OpenAsync(id, disk.Location, cancellationToken);
            }

            LogSnapshotCreated(snapshotName, snapshot.Value, vm.Name);
            return new VSphereSnapshot(_api, jobId, vmRef, snapshot, disks, opened, notes, _options.TaskTimeout, _logger);
        }
        catch
        {
            await VSphereSnapshot.CloseDisksAsync(opened.Values, _logger);
            using var cleanup = new CancellationTokenSource(_options.TaskTimeout);
            await _api.RemoveSnapshotAsync(snapshot, cleanup.Token);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    public static string DiskId(int deviceKey) => $"disk-{deviceKey}";

    /// <summary>The uuid part of a change id (<c>&lt;uuid&gt;/&lt;sequence&gt;</c>): what changes when CBT is reset.</summary>
    public static string? Epoch(string changeId)
    {
        var slash = changeId.LastIndexOf('/');
        return slash > 0 && slash < changeId.Length - 1 && changeId[(slash + 1)..].All(char.IsAsciiDigit) ? changeId[..slash] : null;
    }

    private async Task<VimVm> DiscoveredAsync(SourceVm vm, CancellationToken cancellationToken) =>
        _discovered.GetValueOrDefault(vm.Moref)
        ?? await _api.GetVmAsync(new MoRef("VirtualMachine", vm.Moref), cancellationToken)
        ?? throw new JobFailedException($"VM '{vm.Name}' ({vm.Moref}) is no longer in vCenter");

    private string ReadPassword()
    {
        if (!string.IsNullOrEmpty(_options.Password))
        {
            return _options.Password;
        }

        try
        {
            return File.ReadAllText(_options.PasswordFile!).TrimEnd('\r', '\n');
        }
        catch (IOException ex)
        {
            throw new SourceUnavailableException($"Vma:VSphere:PasswordFile {_options.PasswordFile} cannot be read: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "INSECURE: Vma:VSphere:Insecure is set, the certificate of vCenter {Url} is NOT checked; anyone on the path can read the vCenter credentials and disk data")]
    private partial void LogInsecure(Uri url);

    [LoggerMessage(Level = LogLevel.Information, Message = "VSphere source: vCenter {Url} as {Username}, certificate check: {CertificateCheck}")]
    private partial void LogConfigured(Uri url, string username, string certificateCheck);

    [LoggerMessage(Level = LogLevel.Information, Message = "Enabled changed block tracking on VM {VmName} ({Moref})")]
    private partial void LogCbtEnabled(string vmName, string moref);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed orphaned snapshot {SnapshotName} ({Snapshot}) of VM {VmName} left by an earlier run")]
    private partial void LogOrphanRemoved(string snapshotName, string snapshot, string vmName);

    [LoggerMessage(Level = LogLevel.Information, Message = "vCenter task {Call} ({Task}) on {Target} for job {JobId}: {Percent} %")]
    private partial void LogTaskProgress(string call, string task, string target, string jobId, int percent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created snapshot {SnapshotName} ({Snapshot}) of VM {VmName}")]
    private partial void LogSnapshotCreated(string snapshotName, string snapshot, string vmName);
}
