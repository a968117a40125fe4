using MassTransit;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Oma.Bus;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary><c>start</c>: publishes <see cref="StartReplication"/> on the configured RabbitMQ, as any integrator would.</summary>
public static class StartCommand
{
    public const string Usage = "start --agent URL --vm NAME [--full|--incremental] [--job-id ID]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var cli = new CliArguments(args, new HashSet<string> { "agent", "vm", "job-id" }, new HashSet<string> { "full", "incremental" });
        var agent = cli.Option("agent") ?? throw new CliException("--agent URL is required (the VMA's base URL)");
        var vm = cli.Option("vm") ?? throw new CliException("--vm NAME is required");
        if (cli.Flag("full") && cli.Flag("incremental"))
        {
            throw new CliException("--full and --incremental exclude each other");
        }

        var command = new StartReplication
        {
            JobId = cli.Option("job-id") ?? $"{vm}-{Guid.NewGuid():N}"[..Math.Min(vm.Length + 13, JobIdentity.MaxLength)],
            VmaUrl = agent,
            Vm = new VmReference { Name = vm },
            SyncType = cli.Flag("full") ? SyncType.Full : cli.Flag("incremental") ? SyncType.Incremental : SyncType.Auto,
        };
        if (Migration.OmaWorkers.Saga.StartReplicationValidation.Problem(command) is { } problem)
        {
            throw new CliException(problem);
        }

        var configuration = CliSettings.Build();
        var bus = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        if (bus.Transport != BusTransport.RabbitMq)
        {
            throw new CliException("start publishes to RabbitMQ: set Bus__Transport=RabbitMq and Bus__RabbitMq__Host/Username/Password/VirtualHost (the demo runs everything in-process instead)");
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Services.AddMigrationBus(builder.Configuration, (_, _) => { });
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(command, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }

        AnsiConsole.MarkupLine($"Published StartReplication for job [bold]{Markup.Escape(command.JobId)}[/] (VM {Markup.Escape(vm)}, {command.SyncType.ToString().ToLowerInvariant()}, agent {Markup.Escape(agent)})");
        return 0;
    }
}
