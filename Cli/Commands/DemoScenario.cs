using System.Globalization;
using Migration.Cli.Display;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>
/// The demo's course, whatever the source: a full sync of every VM, then (when all completed) an incremental of each,
/// the summary table, the checks the source knows how to make, and the verdict (exit 0 only when nothing is wrong).
/// </summary>
public sealed class DemoScenario
{
    public required EmbeddedSystem System { get; init; }

    public required IReadOnlyList<string> Vms { get; init; }

    public required DemoRun Run { get; init; }

    /// <summary>The end of the success line: what the target images were compared with.</summary>
    public required string VerifiedAgainst { get; init; }

    public DemoNbdExports? Exports { get; init; }

    /// <summary>Runs after the full syncs completed, before the incrementals: the simulated source writes new data here.</summary>
    public Func<Task>? BeforeIncremental { get; init; }

    /// <summary>What is wrong with one completed incremental (nothing by default).</summary>
    public Func<JobView, IEnumerable<string>> CheckIncremental { get; init; } = _ => [];

    /// <summary>Compares every target image with its source; runs when every job completed.</summary>
    public required Func<CancellationToken, Task<IEnumerable<string>>> CompareTargetsAsync { get; init; }

    /// <summary>Runs the demo; interrupted (Ctrl-C, SIGTERM), it cancels the jobs it started and returns 130.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = new List<string>();
        try
        {
            return await RunPhasesAsync(started, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await DemoInterruption.CancelStartedJobsAsync(System, started);
        }
    }

    private async Task<int> RunPhasesAsync(List<string> started, CancellationToken cancellationToken)
    {
        var time = System.Services.GetRequiredService<TimeProvider>();
        var run = time.GetUtcNow().ToString("HHmmss", CultureInfo.InvariantCulture);
        var deadline = time.GetUtcNow() + Run.Timeout;

        var full = await DemoPhase.RunAsync(System, [.. Vms.Select(vm => ($"{vm}-full-{run}", vm))], SyncType.Full, deadline, cancellationToken, Exports, started);
        var fullCompleted = full.Count == Vms.Count && full.All(j => j.Status == StatusMapping.Completed);
        if (fullCompleted && BeforeIncremental is not null)
        {
            await BeforeIncremental();
        }

        var incremental = fullCompleted
            ? await DemoPhase.RunAsync(System, [.. Vms.Select(vm => ($"{vm}-incr-{run}", vm))], SyncType.Incremental, deadline, cancellationToken, Exports, started)
            : [];

        var all = full.Concat(incremental).ToList();
        var diskCounts = new Dictionary<string, int>();
        foreach (var job in all)
        {
            diskCounts[job.Id] = (await System.Queries.GetDisksAsync(job.Id, cancellationToken)).Count;
        }

        AnsiConsole.Write(JobTable.Summary(all, diskCounts));
        var problems = all.Where(j => j.Status != StatusMapping.Completed)
            .Select(j => $"{Shown.Text(j.Id)} ended {j.Status}: {Shown.Text(j.ErrorMessage ?? "(no error recorded)")}").ToList();
        if (full.Any(j => j.Status != StatusMapping.Completed))
        {
            problems.Add("the incremental phase did not run because a full sync did not complete");
        }
        else if (incremental.Count != Vms.Count || full.Count != Vms.Count)
        {
            problems.Add($"not every job finished within {Run.Timeout}");
        }
        else
        {
            problems.AddRange(incremental.Where(j => j.Status == StatusMapping.Completed).SelectMany(CheckIncremental));
            problems.AddRange(await CompareTargetsAsync(cancellationToken));
        }

        await System.StopAsync();
        AnsiConsole.MarkupLine($"Database: [bold]{Markup.Escape(Path.GetFullPath(Run.DatabasePath))}[/] (try: dotnet run --project Cli -- jobs --db {Markup.Escape(Run.DatabasePath)})");
        AnsiConsole.MarkupLine($"Target images: [bold]{Markup.Escape(Run.TargetDirectory)}[/]");
        if (problems.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]All {all.Count} jobs succeeded; every target image equals {Markup.Escape(VerifiedAgainst)} byte for byte.[/]");
            return 0;
        }

        foreach (var problem in problems)
        {
            AnsiConsole.MarkupLine($"[red]✗[/] {Markup.Escape(problem)}");
        }

        return 1;
    }
}
