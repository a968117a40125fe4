using System.Security.Cryptography;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Sources.VSphere;
using Migration.VmaAgent.Targets;
using Migration.VmaAgent.VSphere;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>demo --vcenter</c>: the same demo against a vCenter (or the simulator) instead of the simulated source: a full
/// sync of each VM, then an incremental of each, and every target image compared with its source disk read back
/// through vCenter's datastore file service.
/// </summary>
public static class VCenterDemoCommand
{
    /// <summary>Without --vm, an inventory larger than this is refused: the demo is not a bulk migration.</summary>
    private const int MaxInventory = 10;

    /// <summary>How the demo reaches vCenter: <c>--vcenter</c>, <c>--username</c>, <c>--password</c>, <c>--thumbprint</c> or <c>--insecure</c>.</summary>
    public sealed record Login(string Url, string Username, string Password, string? Thumbprint, bool Insecure);

    public static async Task<int> RunAsync(Login login, IReadOnlyList<string> named, DemoRun run, CancellationToken cancellationToken)
    {
        if (login.Insecure)
        {
            AnsiConsole.MarkupLine("[yellow]--insecure: the certificate of vCenter is NOT checked.[/]");
        }

        AnsiConsole.MarkupLine($"[bold]Replication demo against vCenter[/] {Markup.Escape(login.Url)} as {Markup.Escape(login.Username)}, database {Markup.Escape(Path.GetFullPath(run.DatabasePath))}");
        var system = await run.StartSystemAsync(new Dictionary<string, string?>
        {
            ["Vma:Source"] = "VSphere",
            ["Vma:VSphere:Url"] = login.Url,
            ["Vma:VSphere:Username"] = login.Username,
            ["Vma:VSphere:Password"] = login.Password,
            ["Vma:VSphere:Thumbprint"] = login.Thumbprint,
            ["Vma:VSphere:Insecure"] = login.Insecure ? "true" : "false",
        }, cancellationToken);
        await using (system)
        {
            var api = ((VSphereSource)system.Services.GetRequiredService<IReplicationSource>()).Api;
            IReadOnlyList<string> vms;
            try
            {
                vms = await ChooseVmsAsync(api, named, cancellationToken);
            }
            catch (Exception ex) when (ex is VimUnavailableException or VimFaultException)
            {
                throw new CliException($"vCenter cannot be used: {ex.Message}");
            }

            AnsiConsole.MarkupLine($"VMs: {Markup.Escape(string.Join(", ", vms))}");
            return await new DemoScenario
            {
                System = system,
                Vms = vms,
                Run = run,
                VerifiedAgainst = "its source disk (read back through vCenter)",
                CompareTargetsAsync = async ct => await CompareWithSourceAsync(api, run.TargetDirectory, vms, ct),
            }.RunAsync(cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<string>> ChooseVmsAsync(VimApi api, IReadOnlyList<string> named, CancellationToken ct)
    {
        var inventory = await api.ListVmsAsync(ct);
        if (named.Count > 0)
        {
            var unknown = named.Where(n => inventory.All(vm => vm.Name != n)).ToList();
            return unknown.Count == 0
                ? [.. named.Distinct(StringComparer.Ordinal)]
                : throw new CliException($"vCenter has no VM named {string.Join(", ", unknown.Select(n => $"'{n}'"))}");
        }

        return inventory.Count switch
        {
            0 => throw new CliException("vCenter has no VM to replicate"),
            > MaxInventory => throw new CliException($"vCenter has {inventory.Count} VMs; name the ones to replicate with --vm NAME (at most {MaxInventory} are taken without it)"),
            _ => [.. inventory.Select(vm => vm.Name).Order(StringComparer.Ordinal)],
        };
    }

    /// <summary>Each target image against its source disk, read whole through the datastore file service.</summary>
    private static async Task<List<string>> CompareWithSourceAsync(VimApi api, string targets, IReadOnlyList<string> vms, CancellationToken ct)
    {
        var problems = new List<string>();
        var reader = new DatastoreFileReader(api.Client);
        foreach (var name in vms)
        {
            var vm = (await api.FindVmsByNameAsync(name, ct)).Single();
            foreach (var disk in vm.Disks)
            {
                var id = VSphereSource.DiskId(disk.Key);
                var (dcPath, dsName) = await api.DatastoreLocationAsync(disk.Datastore!.Value, ct);
                var source = reader.Open(id, new SnapshotDiskLocation(vm.Ref.Value, "", disk.FileName, dcPath, dsName, disk.CapacityBytes));
                var image = TargetFileName.DefaultImage(targets, name, id);
                if (!File.Exists(image))
                {
                    problems.Add($"{name}/{id}: no target image at {image}");
                    continue;
                }

                var sourceHash = await HashAsync(source, ct);
                await using var file = File.OpenRead(image);
                var targetHash = await SHA256.HashDataAsync(file, ct);
                if (!sourceHash.AsSpan().SequenceEqual(targetHash))
                {
                    problems.Add($"{name}/{id}: the target image differs from the source disk read back through vCenter");
                }
            }
        }

        return problems;
    }

    private static async Task<byte[]> HashAsync(ISourceDisk disk, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < disk.CapacityBytes; offset += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, disk.CapacityBytes - offset);
            await disk.ReadAsync(offset, buffer.AsMemory(0, count), ct);
            hash.AppendData(buffer, 0, count);
        }

        return hash.GetHashAndReset();
    }
}
