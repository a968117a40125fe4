using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Migration.Cli.CommandLine;
using Migration.Cli.Display;
using Migration.VmaAgent.Configuration;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>demo</c>: the whole system in one process on the embedded defaults; a full sync of every simulated VM, then
/// changes written into each VM and an incremental; every target image checked against its source byte for byte.
/// With <c>--vcenter</c> the same against a vCenter (<see cref="VCenterDemoCommand"/>).
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var vms = CliOptions.Int("--vms", 3, 1, 50, "Number of simulated VMs");
        var diskSize = CliOptions.Size("--disk-size", ByteSize.FromMebibytes(64), "Size of each simulated disk");
        var db = CliOptions.Database();
        var timeout = CliOptions.OptionalInt("--timeout-minutes", 1, 24 * 60, "Minutes all jobs may take (default 5, with --vcenter 10)", "M");
        var nbd = CliOptions.Flag("--nbd", "The whole data path over NBD: nbdkit serves each source snapshot disk and each target image");
        var web = CliOptions.Flag("--web", "Print the address of the live web view (the OMA's read-only API and page), served until the demo ends");
        var targets = CliOptions.Text("--targets", "DIR", "Directory of the target images (default data/targets)");
        var vcenter = CliOptions.Text("--vcenter", "URL", "Run against this vCenter (or the simulator) instead of the simulated source: its SDK URL, e.g. https://vcenter.example/sdk");
        var username = CliOptions.Text("--username", "U", "vCenter user (with --vcenter)");
        var password = CliOptions.Text("--password", "P", "vCenter password (with --vcenter)");
        var insecure = CliOptions.Flag("--insecure", "Do NOT check vCenter's certificate (with --vcenter; loudly logged)");
        var thumbprint = CliOptions.Text("--thumbprint", "T", "Accept only the vCenter certificate with this SHA-256 thumbprint (with --vcenter)");
        var vm = new Option<string[]>("--vm")
        {
            Description = "A vCenter VM to replicate; repeat for more (with --vcenter; default: every VM when there are at most 10)",
            HelpName = "NAME",
        };

        var command = new Command("demo", "Run everything in one process and replicate VMs: a full sync, then an incremental; exit 0 when every job succeeded and every target equals its source")
        {
            vms, diskSize, db, timeout, nbd, web, targets, vcenter, username, password, insecure, thumbprint, vm,
        };
        command.Validators.Add(result =>
        {
            var against = result.GetResult(vcenter) is not null;
            string? Conflict(IEnumerable<Option> options, string why) =>
                options.FirstOrDefault(o => result.GetResult(o) is OptionResult { Implicit: false }) is { } given ? $"{given.Name} {why}" : null;

            var problem = against
                ? Conflict([vms, diskSize, nbd], "is for the simulated demo, not with --vcenter")
                  ?? (result.GetValue(username) is null ? "--username is required with --vcenter" : null)
                  ?? (result.GetValue(password) is null ? "--password is required with --vcenter" : null)
                  ?? (result.GetValue(insecure) && result.GetValue(thumbprint) is not null ? "--insecure and --thumbprint exclude each other" : null)
                : Conflict([username, password, insecure, thumbprint, vm], "goes with --vcenter URL");
            if (problem is not null)
            {
                result.AddError(problem);
            }
        });
        command.SetAction((parsed, ct) =>
        {
            var url = parsed.GetValue(vcenter);
            var run = new DemoRun(
                parsed.GetValue(db) ?? CliSettings.DefaultDatabasePath,
                Path.GetFullPath(parsed.GetValue(targets) ?? "data/targets"),
                TimeSpan.FromMinutes(parsed.GetValue(timeout) ?? (url is null ? 5 : 10)));
            if (url is not null)
            {
                var login = new VCenterDemoCommand.Login(url, parsed.GetValue(username)!, parsed.GetValue(password)!, parsed.GetValue(thumbprint), parsed.GetValue(insecure));
                return VCenterDemoCommand.RunAsync(login, parsed.GetValue(vm) ?? [], run, ct);
            }

            return RunAsync(parsed.GetValue(vms), parsed.GetValue(diskSize), parsed.GetValue(nbd), run, ct, parsed.GetValue(web));
        });
        return command;
    }

    public static async Task<int> RunAsync(int vmCount, ByteSize diskSize, bool nbd, DemoRun run, CancellationToken cancellationToken, bool web = false)
    {
        AnsiConsole.MarkupLine($"[bold]Replication demo[/]: {vmCount} simulated VM(s), disks of {Markup.Escape(diskSize.ToString())}, database {Markup.Escape(Path.GetFullPath(run.DatabasePath))}");
        var system = await run.StartSystemAsync(new Dictionary<string, string?>
        {
            ["Vma:Simulated:VmCount"] = vmCount.ToString(CultureInfo.InvariantCulture),
            ["Vma:Simulated:DiskSize"] = diskSize.ToString(),
            ["Vma:SourceExports:Enabled"] = nbd ? "true" : "false",
        }, cancellationToken);
        await using (system)
        {
            AnsiConsole.MarkupLine($"VMA agent at {system.VmaUrl}; workers and scheduler in-process (in-memory bus, SQLite)");
            if (web)
            {
                // Printed plainly (not as markup) so scripts and tests can read the address from the line.
                Console.WriteLine($"Live view: {system.VmaUrl} (read-only API at {new Uri(system.VmaUrl, "api/v1/jobs")}; up until the demo ends)");
            }

            var vms = system.Inventory.Vms.Select(v => v.Name).ToList();
            await using var exports = nbd ? await DemoNbdExports.StartAsync(system.Inventory, run.TargetDirectory, cancellationToken) : null;
            if (exports is not null)
            {
                AnsiConsole.MarkupLine($"NBD data path: {exports.Count} nbdkit target exports; each snapshot disk is served by nbdkit and read over NBD");
            }

            var changed = new Dictionary<string, long>();
            return await new DemoScenario
            {
                System = system,
                Vms = vms,
                Run = run,
                VerifiedAgainst = "its source disk",
                Exports = exports,
                BeforeIncremental = () =>
                {
                    foreach (var vm in vms)
                    {
                        changed[vm] = system.Inventory.ChangeAreas(vm).TotalBytes;
                    }

                    AnsiConsole.MarkupLine($"Wrote new data into every VM ({JobTable.Bytes(changed.Values.Sum())} in changed areas); starting incrementals");
                    return Task.CompletedTask;
                },
                CheckIncremental = job => job.BytesTransferred == changed[job.VmName]
                    ? []
                    : [$"{job.Id} moved {job.BytesTransferred} bytes but {changed[job.VmName]} bytes were changed"],
                CompareTargetsAsync = _ => Task.FromResult(TargetCheck.Compare(system.Inventory, run.TargetDirectory, vms)),
            }.RunAsync(cancellationToken);
        }
    }
}
