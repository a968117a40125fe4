using System.Diagnostics;
using System.Text;

namespace Migration.Tests.Support;

/// <summary>
/// The operator's tool as a child process (<c>dotnet migration.dll …</c>), its output captured as UTF-8 exactly as a
/// terminal would receive it: redirected, so any ANSI escape in it came from data, not from Spectre's colours.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private CliProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <param name="dll">The built <c>migration.dll</c>.</param>
    /// <param name="environment">Settings such as <c>Database__Provider</c>; the runner's own <c>Database__*</c> and <c>Bus__*</c> are dropped.</param>
    public static CliProcess Start(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Bus__", StringComparison.Ordinal) || k.StartsWith("Database__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Runs to the end (killed after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        using var cli = Start(dll, arguments, environment);
        return await cli.WaitAsync(timeout);
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"migration did not end within {timeout}: {await _stdout}{await _stderr}");
        }

        return (_process.ExitCode, await _stdout, await _stderr);
    }

    /// <summary>SIGKILL: nothing is finished, no handler runs.</summary>
    public void Kill() => _process.KillTree();

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
