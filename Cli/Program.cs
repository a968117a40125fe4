using System.Runtime.InteropServices;
using Migration.Cli.Commands;

namespace Migration.Cli;

/// <summary>The operator's tool: <c>demo</c>, <c>jobs</c>, <c>history</c>, <c>start</c>, <c>watch</c>, <c>certs</c>.</summary>
public static class Program
{
    private static readonly string[] Usages =
        [DemoCommand.Usage, VCenterDemoCommand.Usage, JobsCommand.Usage, HistoryCommand.Usage, StartCommand.Usage, WatchCommand.Usage, CertsCommand.Usage];

    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        // The first Ctrl-C (or SIGTERM) asks the command to stop cleanly (the demo cancels its jobs); a second one ends
        // the process at once.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        });

        var rest = args.Skip(1).ToArray();
        try
        {
            return args.FirstOrDefault() switch
            {
                "demo" => await DemoCommand.RunAsync(rest, cancel.Token),
                "jobs" => await JobsCommand.RunAsync(rest, cancel.Token),
                "history" => await HistoryCommand.RunAsync(rest, cancel.Token),
                "start" => await StartCommand.RunAsync(rest, cancel.Token),
                "watch" => await WatchCommand.RunAsync(rest, cancel.Token),
                "certs" => await CertsCommand.RunAsync(rest, cancel.Token),
                "help" or "--help" or "-h" => Help(0),
                null => Help(2),
                var unknown => throw new CliException($"unknown command '{unknown}'"),
            };
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            Console.Error.WriteLine();
            Help(2, Console.Error);
            return 2;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static int Help(int exitCode, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        writer.WriteLine("usage: dotnet run --project Cli -- <command>");
        foreach (var usage in Usages)
        {
            writer.WriteLine($"  {usage}");
        }

        writer.WriteLine();
        writer.WriteLine("Database and bus come from the environment (Database__Provider, Database__ConnectionString, Bus__Transport, ...);");
        writer.WriteLine("--db PATH selects a SQLite file. See README.md.");
        return exitCode;
    }
}
