using System.CommandLine;
using System.Globalization;
using Migration.Cli.CommandLine;
using Migration.Cli.Display;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>retry JOB</c>: a new job for the same VM, agent and target as an ended one, sync type auto (an incremental
/// when the database holds change ids for every disk, else a full sync). A job still running is refused.
/// </summary>
public static class RetryCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "The ended job to run again" };
        var jobId = CliOptions.Text("--job-id", "ID", "Id of the new job (default: the old id with -r and the time)");
        var db = CliOptions.Database();
        var command = new Command("retry", "Start a new job for the same VM and target as an ended job (sync type auto), on RabbitMQ") { job, jobId, db };
        command.SetAction((parsed, ct) => RunAsync(parsed.GetValue(job)!, parsed.GetValue(jobId), CliSettings.Build(CliSettings.Database(parsed.GetValue(db))), TimeProvider.System, ct));
        return command;
    }

    public static async Task<int> RunAsync(string jobId, string? newJobId, IConfiguration configuration, TimeProvider time, CancellationToken cancellationToken)
    {
        JobView job;
        await using (var services = CliSettings.ReadServices(configuration))
        {
            job = await services.GetRequiredService<IJobQueries>().GetJobAsync(jobId, cancellationToken)
                ?? throw new CliException($"no job '{jobId}' in the database");
        }

        if (!StatusMapping.IsTerminal(job.Status))
        {
            throw new CliException($"job '{jobId}' is still {job.Status}: wait for it to end, or cancel it first");
        }

        var command = new StartReplication
        {
            JobId = newJobId ?? NextId(jobId, time.GetUtcNow()),
            VmaUrl = job.VmaUrl,
            Vm = new VmReference { Name = job.VmName },
            SyncType = SyncType.Auto,
            Target = job.TargetJson is null ? null : ProgressRows.FromJson<ReplicationTarget>(job.TargetJson),
        };
        if (StartReplicationValidation.Problem(command) is { } problem)
        {
            throw new CliException(problem);
        }

        await BusPublisher.PublishAsync(configuration, command, "retry", cancellationToken);
        AnsiConsole.MarkupLine($"Published StartReplication for job [bold]{Markup.Escape(command.JobId)}[/] (retry of {Markup.Escape(jobId)}: VM {Shown.Markup(job.VmName)}, auto, agent {Markup.Escape(job.VmaUrl)})");
        return 0;
    }

    /// <summary>The old id (shortened so the whole stays a valid id) plus <c>-r</c> and the UTC time to the second.</summary>
    public static string NextId(string jobId, DateTimeOffset now)
    {
        var suffix = "-r" + now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        return jobId[..Math.Min(jobId.Length, JobIdentity.MaxLength - suffix.Length)] + suffix;
    }
}
