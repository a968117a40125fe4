using System.CommandLine;
using Migration.Cli.CommandLine;
using Migration.Cli.Display;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Migration.Cli.Commands;

/// <summary><c>watch [JOB]</c>: live progress from the database, of one job until it ends, or of every active job.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var job = new Argument<string?>("JOB") { Description = "The job to follow until it ends (without it: every active job)", Arity = ArgumentArity.ZeroOrOne };
        var db = CliOptions.Database();
        var interval = CliOptions.Int("--interval", 1, 1, 60, "Seconds between two reads of the database", "SECONDS");
        var command = new Command("watch", "Live progress from the database: one job until it ends (exit 1 if it failed), or every active job") { job, db, interval };
        command.SetAction((parsed, ct) => RunAsync(parsed.GetValue(job), parsed.GetValue(db), TimeSpan.FromSeconds(parsed.GetValue(interval)), ct));
        return command;
    }

    public static async Task<int> RunAsync(string? jobId, string? dbPath, TimeSpan interval, CancellationToken cancellationToken)
    {
        await using var services = CliSettings.ReadServices(dbPath);
        var queries = services.GetRequiredService<IJobQueries>();

        async Task<IReadOnlyList<JobView>> Read()
        {
            if (jobId is null)
            {
                var jobs = await queries.GetJobsAsync(200, cancellationToken);
                return jobs.Where(j => !StatusMapping.IsTerminal(j.Status)).ToList();
            }

            var job = await queries.GetJobAsync(jobId, cancellationToken) ?? throw new CliException($"no job '{jobId}' in the database");
            return [job];
        }

        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var current = await Read();
        async Task<IRenderable> Board() => JobBoard.Render(await JobSnapshot.ReadAsync(queries, current, cancellationToken), time.GetUtcNow(), AnsiConsole.Profile.Width);
        try
        {
            await AnsiConsole.Live(await Board()).AutoClear(false).StartAsync(async live =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    current = await Read();
                    live.UpdateTarget(await Board());
                    live.Refresh();
                    if (jobId is not null && current.All(j => StatusMapping.IsTerminal(j.Status)))
                    {
                        return;
                    }

                    await Task.Delay(interval, time, cancellationToken);
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }

        return jobId is not null && current.Any(j => j.Status == StatusMapping.Failed) ? 1 : 0;
    }
}
