using System.Diagnostics;

namespace Migration.Tests.Deploy;

/// <summary>Runs a command-line tool the install step provides (kubectl, promtool) with a timeout; a missing tool fails clearly.</summary>
public static class ExternalTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string tool, string package, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed: scripts/servers.sh (servers_install) installs Debian's {package}", e);
        }

        using (process)
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within {Timeout}");
            }

            return new Result(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary><c>kubectl kustomize</c> (Debian's kubernetes-client, or any kubectl on the PATH).</summary>
    public static async Task<string> KustomizeAsync(string directory)
    {
        var result = await RunAsync("kubectl", "kubernetes-client", directory, "kustomize", directory);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"kubectl kustomize {directory} exited {result.ExitCode}: {result.Error}");
    }
}
