using System.CommandLine;
using System.CommandLine.Invocation;
using Migration.Cli.Commands;

namespace Migration.Cli.CommandLine;

/// <summary>
/// The command tree on System.CommandLine: help (<c>--help</c> on every command), completion (<c>[suggest]</c>) and
/// parsing come from the library; input errors are one line on stderr and exit code 2, as before.
/// </summary>
public static class CliApp
{
    public const int UsageError = 2;
    public const int Cancelled = 130;

    private const string Invocation = "dotnet run --project Cli --";

    public static RootCommand Root()
    {
        var root = new RootCommand(
            "The operator's tool for VMware-to-CloudStack replication: run the one-process demo, start, watch, cancel and retry jobs, " +
            "read the monitoring queries and the CBT history. Database and bus come from the environment (Database__Provider, " +
            "Database__ConnectionString, Bus__Transport, Bus__RabbitMq__Host, ...); --db PATH selects a SQLite file. See README.md.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(JobsCommand.Create());
        root.Subcommands.Add(HistoryCommand.Create());
        root.Subcommands.Add(StartCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(CancelCommand.Create());
        root.Subcommands.Add(RetryCommand.Create());
        root.Subcommands.Add(ArchiveCommand.Create());
        root.Subcommands.Add(CertsCommand.Create());
        return root;
    }

    /// <summary>Parses and runs one command line; <paramref name="cancellationToken"/> is the caller's Ctrl-C.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var parsed = Root().Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            var command = string.Concat(CommandPath(parsed).Select(name => name + " "));
            var message = parsed.UnmatchedTokens.Count > 0 ? $"unknown command, option or argument '{parsed.UnmatchedTokens[0]}'" : parsed.Errors[0].Message;
            await Console.Error.WriteLineAsync($"error: {message} (see: {Invocation} {command}--help)");
            return UsageError;
        }

        try
        {
            // Ctrl-C is the caller's: the demo needs longer than the library's 2 s to stop its jobs cleanly.
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CliException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return UsageError;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var result = parsed.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Push(result.Command.Name);
        }

        return names;
    }
}
