using System.Runtime.InteropServices;
using Migration.Cli.CommandLine;

namespace Migration.Cli;

/// <summary>The operator's tool: <c>demo</c>, <c>jobs</c>, <c>history</c>, <c>start</c>, <c>watch</c>, <c>certs</c> (see <see cref="CliApp"/>).</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        // The first Ctrl-C (or SIGTERM) asks the command to stop cleanly (the demo cancels its jobs); a second one ends
        // the process at once.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        });
        try
        {
            return await CliApp.RunAsync(args, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return CliApp.Cancelled;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
