using System.Xml.Linq;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// The vim25 calls the VSphere source makes, written by hand over <see cref="VimClient"/> (no generated proxies):
/// property retrieval with continuation, VM lookup (container view, moref, instance uuid), reconfiguration, snapshots,
/// tasks, and <c>QueryChangedDiskAreas</c>.
/// </summary>
public sealed class VimApi(VimClient client, TimeProvider time, TimeSpan taskTimeout, TimeSpan taskPollInterval, int maxObjects = 100)
{
    private static readonly string[] VmProperties = ["name", "config.instanceUuid", "config.changeTrackingEnabled", "config.hardware.device"];

    public VimClient Client => client;

    /// <summary><c>RetrievePropertiesEx</c>, then <c>ContinueRetrievePropertiesEx</c> while vCenter hands back a token.</summary>
    public async Task<IReadOnlyList<ObjectContent>> RetrievePropertiesAsync(string type, IReadOnlyList<string> paths, XElement objectSet, CancellationToken ct)
    {
        var content = await client.ContentAsync(ct);
        var spec = new XElement(VimXml.Vim + "specSet",
            new XElement(VimXml.Vim + "propSet", VimXml.Arg("type", type), paths.Select(p => VimXml.Arg("pathSet", p))),
            objectSet);
        var response = await client.InvokeAsync("RetrievePropertiesEx", content.PropertyCollector,
            [spec, new XElement(VimXml.Vim + "options", VimXml.Arg("maxObjects", maxObjects))], ct);
        var results = new List<ObjectContent>();
        var page = VimXml.Child(response, "returnval");
        while (page is not null)
        {
            results.AddRange(VimXml.Children(page, "objects").Select(ObjectContent.Parse));
            if (VimXml.Text(page, "token") is not { Length: > 0 } token)
            {
                break;
            }

            var next = await client.InvokeAsync("ContinueRetrievePropertiesEx", content.PropertyCollector, [VimXml.Arg("token", token)], ct);
            page = VimXml.Child(next, "returnval");
        }

        return results;
    }

    public Task<IReadOnlyList<ObjectContent>> RetrieveAsync(MoRef target, IReadOnlyList<string> paths, CancellationToken ct) =>
        RetrievePropertiesAsync(target.Type, paths, new XElement(VimXml.Vim + "objectSet", VimXml.Ref("obj", target), VimXml.Arg("skip", false)), ct);

    /// <summary>Every VM whose name is <paramref name="name"/>, through a container view of the whole inventory.</summary>
    public async Task<IReadOnlyList<VimVm>> FindVmsByNameAsync(string name, CancellationToken ct)
    {
        var all = await ListVmsAsync(ct);
        return [.. all.Where(vm => string.Equals(vm.Name, name, StringComparison.Ordinal))];
    }

    /// <summary>All VMs of the inventory (one container view, destroyed afterwards).</summary>
    public async Task<IReadOnlyList<VimVm>> ListVmsAsync(CancellationToken ct) =>
        [.. (await RetrieveAllVmsAsync(VmProperties, ct)).Select(VimVm.From)];

    /// <summary>Every VM of the inventory with its snapshot tree flattened, in one retrieval over a container view.</summary>
    public async Task<IReadOnlyList<(MoRef Vm, string Name, IReadOnlyList<VimSnapshot> Snapshots)>> ListAllSnapshotsAsync(CancellationToken ct) =>
        [.. (await RetrieveAllVmsAsync(["name", "snapshot"], ct)).Select(o => (
            o.Obj,
            o.Properties.GetValueOrDefault("name")?.Value ?? o.Obj.Value,
            VimSnapshot.Flatten(o.Properties.GetValueOrDefault("snapshot"))))];

    private async Task<IReadOnlyList<ObjectContent>> RetrieveAllVmsAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        var content = await client.ContentAsync(ct);
        var created = await client.InvokeAsync("CreateContainerView", content.ViewManager,
            [VimXml.Ref("container", content.RootFolder), VimXml.Arg("type", "VirtualMachine"), VimXml.Arg("recursive", true)], ct);
        var view = VimXml.MoRefOf(VimXml.Child(created, "returnval") ?? throw new FormatException("CreateContainerView returned no view"));
        try
        {
            var objectSet = new XElement(VimXml.Vim + "objectSet",
                VimXml.Ref("obj", view),
                VimXml.Arg("skip", true),
                VimXml.Typed("selectSet", "TraversalSpec",
                    VimXml.Arg("name", "traverseView"), VimXml.Arg("type", "ContainerView"), VimXml.Arg("path", "view"), VimXml.Arg("skip", false)));
            return await RetrievePropertiesAsync("VirtualMachine", paths, objectSet, ct);
        }
        finally
        {
            await client.InvokeAsync("DestroyView", view, [], CancellationToken.None);
        }
    }

    /// <summary>The VM with this moref, or null when vCenter has none.</summary>
    public async Task<VimVm?> GetVmAsync(MoRef vm, CancellationToken ct)
    {
        try
        {
            var objects = await RetrieveAsync(vm, VmProperties, ct);
            return objects.Count == 0 || !objects[0].Properties.ContainsKey("name") ? null : VimVm.From(objects[0]);
        }
        catch (ManagedObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary><c>SearchIndex.FindByUuid</c> on instance uuids; null when none matches.</summary>
    public async Task<MoRef?> FindByInstanceUuidAsync(string uuid, CancellationToken ct)
    {
        var content = await client.ContentAsync(ct);
        var response = await client.InvokeAsync("FindByUuid", content.SearchIndex,
            [VimXml.Arg("uuid", uuid), VimXml.Arg("vmSearch", true), VimXml.Arg("instanceUuid", true)], ct);
        return VimXml.Child(response, "returnval") is { } found ? VimXml.MoRefOf(found) : null;
    }

    public async Task SetChangeTrackingAsync(MoRef vm, bool enabled, CancellationToken ct, Action<VimTaskProgress>? progress = null)
    {
        var spec = new XElement(VimXml.Vim + "spec", VimXml.Arg("changeTrackingEnabled", enabled));
        var task = await StartTaskAsync("ReconfigVM_Task", vm, [spec], ct);
        await WaitForTaskAsync(task, "ReconfigVM_Task", vm, ct, progress);
    }

    /// <summary><c>CreateSnapshot_Task</c> without memory; returns the new snapshot.</summary>
    public async Task<MoRef> CreateSnapshotAsync(MoRef vm, string name, string description, bool quiesce, CancellationToken ct, Action<VimTaskProgress>? progress = null)
    {
        var task = await StartTaskAsync("CreateSnapshot_Task", vm,
            [VimXml.Arg("name", name), VimXml.Arg("description", description), VimXml.Arg("memory", false), VimXml.Arg("quiesce", quiesce)], ct);
        var result = await WaitForTaskAsync(task, "CreateSnapshot_Task", vm, ct, progress);
        return result is { } snapshot ? VimXml.MoRefOf(snapshot) : throw new FormatException($"CreateSnapshot_Task on {vm} returned no snapshot");
    }

    /// <summary><c>RemoveSnapshot_Task</c> with consolidation, children kept.</summary>
    public async Task RemoveSnapshotAsync(MoRef snapshot, CancellationToken ct, Action<VimTaskProgress>? progress = null)
    {
        var task = await StartTaskAsync("RemoveSnapshot_Task", snapshot, [VimXml.Arg("removeChildren", false), VimXml.Arg("consolidate", true)], ct);
        await WaitForTaskAsync(task, "RemoveSnapshot_Task", snapshot, ct, progress);
    }

    /// <summary>Every snapshot of the VM (the whole tree, flattened).</summary>
    public async Task<IReadOnlyList<VimSnapshot>> ListSnapshotsAsync(MoRef vm, CancellationToken ct)
    {
        var objects = await RetrieveAsync(vm, ["snapshot"], ct);
        return VimSnapshot.Flatten(objects.FirstOrDefault()?.Properties.GetValueOrDefault("snapshot"));
    }

    /// <summary>The disks as the snapshot froze them: the backing file and change id of each at that point.</summary>
    public async Task<IReadOnlyList<VimDisk>> SnapshotDisksAsync(MoRef snapshot, CancellationToken ct)
    {
        var objects = await RetrieveAsync(snapshot, ["config.hardware.device"], ct);
        return VimDisk.ParseDevices(objects.FirstOrDefault()?.Properties.GetValueOrDefault("config.hardware.device"));
    }

    public async Task<DiskChangeInfo> QueryChangedDiskAreasAsync(MoRef vm, MoRef snapshot, int deviceKey, long startOffset, string changeId, CancellationToken ct)
    {
        var response = await client.InvokeAsync("QueryChangedDiskAreas", vm,
            [VimXml.Ref("snapshot", snapshot), VimXml.Arg("deviceKey", deviceKey), VimXml.Arg("startOffset", startOffset), VimXml.Arg("changeId", changeId)], ct);
        return DiskChangeInfo.Parse(VimXml.Child(response, "returnval") ?? throw new FormatException("QueryChangedDiskAreas returned nothing"));
    }

    /// <summary>The datacenter's inventory path (<c>dcPath</c> of the datastore file service) and the datastore's name.</summary>
    public async Task<(string DatacenterPath, string DatastoreName)> DatastoreLocationAsync(MoRef datastore, CancellationToken ct)
    {
        var dsName = await NameAsync(datastore, ct);
        var names = new List<string>();
        MoRef? current = datastore;
        var inDatacenter = false;
        for (var depth = 0; current is { } node && depth < 32; depth++)
        {
            var objects = await RetrieveAsync(node, ["name", "parent"], ct);
            var props = objects.FirstOrDefault()?.Properties;
            if (node.Type == "Datacenter")
            {
                inDatacenter = true;
            }

            var parent = props?.GetValueOrDefault("parent") is { } p ? VimXml.MoRefOf(p) : (MoRef?)null;
            if (inDatacenter && parent is not null)
            {
                names.Insert(0, props!.GetValueOrDefault("name")?.Value ?? node.Value); // the root folder has no parent and is not in the path
            }

            current = parent;
        }

        return inDatacenter ? (string.Join('/', names), dsName) : throw new FormatException($"datastore {datastore} is not inside a datacenter");
    }

    private async Task<string> NameAsync(MoRef target, CancellationToken ct) =>
        (await RetrieveAsync(target, ["name"], ct)).FirstOrDefault()?.Properties.GetValueOrDefault("name")?.Value
        ?? throw new FormatException($"{target.Type} {target} has no name");

    private async Task<MoRef> StartTaskAsync(string method, MoRef target, IEnumerable<XElement> arguments, CancellationToken ct)
    {
        var response = await client.InvokeAsync(method, target, arguments, ct);
        return VimXml.MoRefOf(VimXml.Child(response, "returnval") ?? throw new FormatException($"{method} returned no task"));
    }

    /// <summary>
    /// Reads the task's info through the property collector every <c>TaskPollInterval</c> until it succeeds (its result)
    /// or fails (vCenter's message), at most <c>TaskTimeout</c>; while it runs, each new <c>info.progress</c> goes to
    /// <paramref name="progress"/> (vCenter sets it on long tasks such as a snapshot's consolidation, not on every task).
    /// </summary>
    public async Task<XElement?> WaitForTaskAsync(MoRef task, string call, MoRef target, CancellationToken ct, Action<VimTaskProgress>? progress = null)
    {
        var deadline = time.GetUtcNow() + taskTimeout;
        int? reported = null;
        while (true)
        {
            var info = (await RetrieveAsync(task, ["info"], ct)).FirstOrDefault()?.Properties.GetValueOrDefault("info")
                ?? throw new FormatException($"task {task} of {call} has no info");
            switch (VimXml.Text(info, "state"))
            {
                case "success":
                    return VimXml.Child(info, "result");
                case "error":
                    var error = VimXml.Child(info, "error");
                    var fault = VimXml.Child(error, "fault");
                    var faultType = fault is null ? "SystemError" : VimXml.TypeName(fault);
                    var message = VimXml.Text(error, "localizedMessage") is { Length: > 0 } localized ? localized
                        : VimXml.Text(fault, "reason") ?? faultType;
                    throw new VimTaskFailedException(call, target.Value, faultType, message);
            }

            if (VimXml.Text(info, "progress") is { } text && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var percent) && percent != reported)
            {
                reported = percent;
                progress?.Invoke(new VimTaskProgress(call, target.Value, task.Value, Math.Clamp(percent, 0, 100)));
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new VimUnavailableException($"vCenter task {call} on {target} ({task}) did not finish within {taskTimeout}");
            }

            await Task.Delay(taskPollInterval, time, ct);
        }
    }
}

/// <summary>A running vCenter task's <c>info.progress</c>: percent done of <paramref name="Call"/> on <paramref name="Target"/>.</summary>
public readonly record struct VimTaskProgress(string Call, string Target, string Task, int Percent);

/// <summary>One object of a property retrieval: its moref and the values by property path.</summary>
public sealed record ObjectContent(MoRef Obj, IReadOnlyDictionary<string, XElement> Properties)
{
    public static ObjectContent Parse(XElement objects) => new(
        VimXml.MoRefOf(VimXml.Child(objects, "obj")!),
        VimXml.Children(objects, "propSet").ToDictionary(p => VimXml.Text(p, "name") ?? "", p => VimXml.Child(p, "val")!, StringComparer.Ordinal));
}

public sealed record VimVm(MoRef Ref, string Name, string? InstanceUuid, bool ChangeTrackingEnabled, IReadOnlyList<VimDisk> Disks)
{
    public static VimVm From(ObjectContent content) => new(
        content.Obj,
        content.Properties.GetValueOrDefault("name")?.Value ?? content.Obj.Value,
        content.Properties.GetValueOrDefault("config.instanceUuid")?.Value,
        content.Properties.GetValueOrDefault("config.changeTrackingEnabled")?.Value == "true",
        VimDisk.ParseDevices(content.Properties.GetValueOrDefault("config.hardware.device")));
}

public sealed record VimSnapshot(MoRef Ref, string Name)
{
    /// <summary>Every snapshot of a VM's <c>snapshot</c> property (<c>VirtualMachineSnapshotInfo</c>): the whole tree, parents first.</summary>
    public static IReadOnlyList<VimSnapshot> Flatten(XElement? info)
    {
        var list = new List<VimSnapshot>();
        void Walk(IEnumerable<XElement> trees)
        {
            foreach (var tree in trees)
            {
                list.Add(new VimSnapshot(VimXml.MoRefOf(VimXml.Child(tree, "snapshot")!), VimXml.Text(tree, "name") ?? ""));
                Walk(VimXml.Children(tree, "childSnapshotList"));
            }
        }

        Walk(VimXml.Children(info, "rootSnapshotList"));
        return list;
    }
}

/// <summary>A virtual disk as <c>config.hardware.device</c> describes it.</summary>
public sealed record VimDisk(int Key, string Label, long CapacityBytes, string FileName, MoRef? Datastore, string? ChangeId)
{
    public static IReadOnlyList<VimDisk> ParseDevices(XElement? devices) =>
        [.. (devices?.Elements() ?? []).Where(d => VimXml.TypeName(d) == "VirtualDisk").Select(Parse)];

    private static VimDisk Parse(XElement disk)
    {
        var backing = VimXml.Child(disk, "backing");
        var capacity = VimXml.Text(disk, "capacityInBytes") is { } bytes
            ? long.Parse(bytes, System.Globalization.CultureInfo.InvariantCulture)
            : VimXml.Long(disk, "capacityInKB") * 1024;
        var key = (int)VimXml.Long(disk, "key");
        return new VimDisk(
            key,
            VimXml.Text(VimXml.Child(disk, "deviceInfo"), "label") ?? $"disk {key}",
            capacity,
            VimXml.Text(backing, "fileName") ?? "",
            VimXml.Child(backing, "datastore") is { } ds ? VimXml.MoRefOf(ds) : null,
            VimXml.Text(backing, "changeId") is { Length: > 0 } id ? id : null);
    }
}

/// <summary>One answer of <c>QueryChangedDiskAreas</c>: the span it covers and the changed areas in it.</summary>
public sealed record DiskChangeInfo(long StartOffset, long Length, IReadOnlyList<(long Start, long Length)> ChangedAreas)
{
    public static DiskChangeInfo Parse(XElement returnval) => new(
        VimXml.Long(returnval, "startOffset"),
        VimXml.Long(returnval, "length"),
        [.. VimXml.Children(returnval, "changedArea").Select(a => (VimXml.Long(a, "start"), VimXml.Long(a, "length")))]);
}
