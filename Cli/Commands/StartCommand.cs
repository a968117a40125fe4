using System.CommandLine;
using Migration.Cli.CommandLine;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary><c>start</c>: publishes <see cref="StartReplication"/> on the configured RabbitMQ, as any integrator would.</summary>
public static class StartCommand
{
    public static Command Create()
    {
        var agent = new Option<string>("--agent") { Description = "The VMA's base URL, e.g. https://vma-site-a.example", HelpName = "URL", Required = true };
        var vm = new Option<string>("--vm") { Description = "Name of the VM to replicate", HelpName = "NAME", Required = true };
        var full = CliOptions.Flag("--full", "A full sync (default: auto, an incremental when the database holds change ids for every disk of the VM)");
        var incremental = CliOptions.Flag("--incremental", "An incremental sync from the change ids the database holds");
        var jobId = CliOptions.Text("--job-id", "ID", "The job id (the idempotency key; default: the VM name and a random suffix)");
        var command = new Command("start", "Publish StartReplication on the configured RabbitMQ, as any integrator would") { agent, vm, full, incremental, jobId };
        command.Validators.Add(result =>
        {
            if (result.GetValue(full) && result.GetValue(incremental))
            {
                result.AddError("--full and --incremental exclude each other");
            }
        });
        command.SetAction((parsed, ct) => RunAsync(
            parsed.GetValue(agent)!, parsed.GetValue(vm)!,
            parsed.GetValue(full) ? SyncType.Full : parsed.GetValue(incremental) ? SyncType.Incremental : SyncType.Auto,
            parsed.GetValue(jobId), ct));
        return command;
    }

    public static async Task<int> RunAsync(string agent, string vm, SyncType syncType, string? jobId, CancellationToken cancellationToken)
    {
        var command = new StartReplication
        {
            JobId = jobId ?? $"{vm}-{Guid.NewGuid():N}"[..Math.Min(vm.Length + 13, JobIdentity.MaxLength)],
            VmaUrl = agent,
            Vm = new VmReference { Name = vm },
            SyncType = syncType,
        };
        if (Migration.OmaWorkers.Saga.StartReplicationValidation.Problem(command) is { } problem)
        {
            throw new CliException(problem);
        }

        await BusPublisher.PublishAsync(CliSettings.Build(), command, "start", cancellationToken);
        AnsiConsole.MarkupLine($"Published StartReplication for job [bold]{Markup.Escape(command.JobId)}[/] (VM {Markup.Escape(vm)}, {command.SyncType.ToString().ToLowerInvariant()}, agent {Markup.Escape(agent)})");
        return 0;
    }
}
