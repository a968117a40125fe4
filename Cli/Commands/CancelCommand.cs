using System.CommandLine;
using Migration.Cli.CommandLine;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>cancel JOB</c>: publishes <see cref="CancelReplication"/>; the saga tells the VMA to stop and the job ends failed
/// with an error saying it was cancelled. A job the database does not know, or one already ended, is refused.
/// </summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "The job to cancel" };
        var reason = CliOptions.Text("--reason", "TEXT", "Why (it ends up in the job's error message; default: cancelled from the command line)");
        var db = CliOptions.Database();
        var command = new Command("cancel", "Cancel a running job: publish CancelReplication on RabbitMQ (the job ends failed, as cancelled)") { job, reason, db };
        command.SetAction((parsed, ct) => RunAsync(parsed.GetValue(job)!, parsed.GetValue(reason), CliSettings.Build(CliSettings.Database(parsed.GetValue(db))), ct));
        return command;
    }

    public static async Task<int> RunAsync(string jobId, string? reason, IConfiguration configuration, CancellationToken cancellationToken)
    {
        JobView job;
        await using (var services = CliSettings.ReadServices(configuration))
        {
            job = await services.GetRequiredService<IJobQueries>().GetJobAsync(jobId, cancellationToken)
                ?? throw new CliException($"no job '{jobId}' in the database");
        }

        if (StatusMapping.IsTerminal(job.Status))
        {
            AnsiConsole.MarkupLine($"Job [bold]{Markup.Escape(jobId)}[/] already ended {Markup.Escape(job.Status)}; nothing to cancel");
            return 1;
        }

        var cancel = new CancelReplication { JobId = jobId, Reason = reason ?? "cancelled from the command line" };
        await BusPublisher.PublishAsync(configuration, cancel, "cancel", cancellationToken);
        AnsiConsole.MarkupLine($"Published CancelReplication for job [bold]{Markup.Escape(jobId)}[/] (it was {Markup.Escape(job.Status)}; follow it with: dotnet run --project Cli -- watch {Markup.Escape(jobId)})");
        return 0;
    }
}
