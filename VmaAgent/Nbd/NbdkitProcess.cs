using System.Diagnostics;
using System.Net.Sockets;

namespace Migration.VmaAgent.Nbd;

/// <summary>An nbdkit export this agent started on a unix socket; disposing stops it by its pid.</summary>
public sealed class NbdkitProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NbdkitProcess(Process process, string socket)
    {
        _process = process;
        SocketPath = socket;
    }

    public string SocketPath { get; }

    /// <summary>The nbdkit process id (for the log lines that say which process serves what, and that it was stopped).</summary>
    public int ProcessId => _process.Id;

    public Uri Uri => new($"nbd+unix:///?socket={SocketPath}");

    /// <summary>Starts nbdkit (from <see cref="ChildProcessLauncher"/>) and waits until its socket accepts.</summary>
    public static async Task<NbdkitProcess> StartAsync(string program, string socket, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        File.Delete(socket);
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["--foreground", "--unix=" + socket, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = await ChildProcessLauncher.StartAsync(info);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NbdException($"cannot run {program} (is the nbdkit package installed?): {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            throw new NbdException(ex.Message);
        }

        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var message = await stderr;
                var exitCode = process.ExitCode;
                process.Dispose();
                throw new NbdkitExitedException($"{program} {string.Join(' ', arguments)} exited with {exitCode}: {message.Trim()}");
            }

            if (File.Exists(socket) && await AcceptsAsync(socket))
            {
                return new NbdkitProcess(process, socket);
            }

            if (started.Elapsed > timeout || cancellationToken.IsCancellationRequested)
            {
                process.Kill();
                process.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                throw new NbdException($"{program} did not listen on {socket} within {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        File.Delete(SocketPath);
    }

    private static async Task<bool> AcceptsAsync(string socket)
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
