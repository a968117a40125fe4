using System.Security.Cryptography;
using Migration.Cli.Display;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Sources.VSphere;
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
    public const string Usage = "demo --vcenter URL --username U --password P [--insecure | --thumbprint T] [--vm NAME ...] [--db PATH] [--targets DIR] [--timeout-minutes M]";

    /// <summary>Without --vm, an inventory larger than this is refused: the demo is not a bulk migration.</summary>
    private const int MaxInventory = 10;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var cli = new CliArguments(args,
            new HashSet<string> { "vcenter", "username", "password", "thumbprint", "vm", "db", "targets", "timeout-minutes" },
            new HashSet<string> { "insecure" });
        var url = cli.Option("vcenter") ?? throw new CliException("--vcenter needs the SDK URL, e.g. https://vcenter.example/sdk");
        var username = cli.Option("username") ?? throw new CliException("--username is required with --vcenter");
        var password = cli.Option("password") ?? throw new CliException("--password is required with --vcenter");
        var thumbprint = cli.Option("thumbprint");
        if (cli.Flag("insecure") && thumbprint is not null)
        {
            throw new CliException("--insecure and --thumbprint exclude each other");
        }

        var dbPath = cli.Option("db") ?? CliSettings.DefaultDatabasePath;
        var targets = Path.GetFullPath(cli.Option("targets") ?? "data/targets");
        var timeout = TimeSpan.FromMinutes(cli.Int("timeout-minutes", 10, 1, 24 * 60));
        var settings = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "InMemory",
            ["Vma:Source"] = "VSphere",
            ["Vma:VSphere:Url"] = url,
            ["Vma:VSphere:Username"] = username,
            ["Vma:VSphere:Password"] = password,
            ["Vma:VSphere:Thumbprint"] = thumbprint,
            ["Vma:VSphere:Insecure"] = cli.Flag("insecure") ? "true" : "false",
            ["Vma:Target:Directory"] = targets,
        };
        foreach (var (key, value) in CliSettings.Database(dbPath))
        {
            settings[key] = value;
        }

        if (cli.Flag("insecure"))
        {
            AnsiConsole.MarkupLine("[yellow]--insecure: the certificate of vCenter is NOT checked.[/]");
        }

        AnsiConsole.MarkupLine($"[bold]Replication demo against vCenter[/] {Markup.Escape(url)} as {Markup.Escape(username)}, database {Markup.Escape(Path.GetFullPath(dbPath))}");
        EmbeddedSystem system;
        try
        {
            system = await EmbeddedSystem.StartAsync(settings, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException or ArgumentException)
        {
            throw new CliException($"the system did not start: {ex.Message}");
        }

        await using (system)
        {
            var api = ((VSphereSource)system.Services.GetRequiredService<IReplicationSource>()).Api;
            IReadOnlyList<string> vms;
            try
            {
                vms = await ChooseVmsAsync(api, cli.Options("vm"), cancellationToken);
            }
            catch (Exception ex) when (ex is VimUnavailableException or VimFaultException)
            {
                throw new CliException($"vCenter cannot be used: {ex.Message}");
            }

            AnsiConsole.MarkupLine($"VMs: {Markup.Escape(string.Join(", ", vms))}");
            var time = system.Services.GetRequiredService<TimeProvider>();
            var run = time.GetUtcNow().ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            var deadline = time.GetUtcNow() + timeout;

            var full = await DemoCommand.RunPhaseAsync(system, [.. vms.Select(vm => ($"{vm}-full-{run}", vm))], SyncType.Full, deadline, cancellationToken);
            var incremental = full.All(j => j.Status == StatusMapping.Completed)
                ? await DemoCommand.RunPhaseAsync(system, [.. vms.Select(vm => ($"{vm}-incr-{run}", vm))], SyncType.Incremental, deadline, cancellationToken)
                : [];

            var all = full.Concat(incremental).ToList();
            var diskCounts = new Dictionary<string, int>();
            foreach (var job in all)
            {
                diskCounts[job.Id] = (await system.Queries.GetDisksAsync(job.Id, cancellationToken)).Count;
            }

            AnsiConsole.Write(JobTable.Summary(all, diskCounts));
            var problems = all.Where(j => j.Status != StatusMapping.Completed)
                .Select(j => $"{j.Id} ended {j.Status}: {j.ErrorMessage ?? "(no error recorded)"}").ToList();
            if (full.Any(j => j.Status != StatusMapping.Completed))
            {
                problems.Add("the incremental phase did not run because a full sync did not complete");
            }
            else if (incremental.Count != vms.Count || full.Count != vms.Count)
            {
                problems.Add($"not every job finished within {timeout}");
            }
            else
            {
                problems.AddRange(await CompareWithSourceAsync(api, targets, vms, cancellationToken));
            }

            await system.StopAsync();
            AnsiConsole.MarkupLine($"Database: [bold]{Markup.Escape(Path.GetFullPath(dbPath))}[/] (try: dotnet run --project Cli -- jobs --db {Markup.Escape(dbPath)})");
            AnsiConsole.MarkupLine($"Target images: [bold]{Markup.Escape(targets)}[/]");
            if (problems.Count == 0)
            {
                AnsiConsole.MarkupLine($"[green]All {all.Count} jobs succeeded; every target image equals its source disk (read back through vCenter) byte for byte.[/]");
                return 0;
            }

            foreach (var problem in problems)
            {
                AnsiConsole.MarkupLine($"[red]✗[/] {Markup.Escape(problem)}");
            }

            return 1;
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
                var image = Path.Combine(targets, name, id + ".img");
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
