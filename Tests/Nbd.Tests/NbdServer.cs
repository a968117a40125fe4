using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

using Migration.Tests.Support;
using Migration.VmaAgent.Nbd;

namespace Migration.Tests.Nbd;

/// <summary>
/// A real NBD server process (nbdkit or qemu-nbd) on a unix socket (or a loopback TCP port) in a temp directory of
/// its own; stopped by its pid. Forked by <see cref="ChildProcessLauncher"/>: nbdkit sets <c>PR_SET_PDEATHSIG</c>, which
/// Linux ties to the thread that started the process, and thread-pool threads come and go.
/// </summary>
public sealed class NbdServer : IAsyncDisposable
{
    private Process? _process;
    private readonly string _program;
    private readonly IReadOnlyList<string> _arguments;
    private readonly int? _port;

    private NbdServer(string directory, string program, IReadOnlyList<string> arguments, int? port)
    {
        Directory = directory;
        _program = program;
        _arguments = arguments;
        _port = port;
    }

    public string Directory { get; }

    public string SocketPath => Path.Combine(Directory, "nbd.sock");

    /// <summary>The URI our client is given.</summary>
    public Uri Uri => _port is { } port
        ? new Uri(string.Create(CultureInfo.InvariantCulture, $"nbd://127.0.0.1:{port}/"))
        : new Uri($"nbd+unix:///?socket={SocketPath}");

    /// <summary>The URI libnbd's tools (nbdcopy, nbdinfo) are given.</summary>
    public string LibnbdUri => _port is { } port ? string.Create(CultureInfo.InvariantCulture, $"nbd://127.0.0.1:{port}") : $"nbd+unix:///?socket={SocketPath}";

    public string Stderr { get; private set; } = "";

    /// <summary><c>nbdkit [filters/plugin args]</c>, e.g. <c>["memory", "size=8M"]</c> or <c>["--filter=error", "file", "file=/x", "error=EIO"]</c>.</summary>
    public static Task<NbdServer> NbdkitAsync(params string[] pluginArguments) => StartAsync("nbdkit", pluginArguments, tcp: false);

    public static Task<NbdServer> NbdkitTcpAsync(params string[] pluginArguments) => StartAsync("nbdkit", pluginArguments, tcp: true);

    /// <summary><c>qemu-nbd</c> over an image file (raw).</summary>
    public static Task<NbdServer> QemuNbdAsync(string image, params string[] extra) =>
        StartAsync("qemu-nbd", [.. extra, "--format=raw", "--cache=writeback", image], tcp: false);

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "nbd-tests-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    private static async Task<NbdServer> StartAsync(string program, IReadOnlyList<string> arguments, bool tcp)
    {
        var server = new NbdServer(NewDirectory(), program, arguments, tcp ? LoopbackPorts.Next() : null);
        await server.StartAsync();
        return server;
    }

    /// <summary>(Re)starts the same server on the same socket or port: a restart after <see cref="KillAsync"/>.</summary>
    public async Task StartAsync()
    {
        File.Delete(SocketPath);
        var info = new ProcessStartInfo(_program) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (_program == "nbdkit")
        {
            info.ArgumentList.Add("--foreground");
            if (_port is { } port)
            {
                info.ArgumentList.Add("--ipaddr=127.0.0.1");
                info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--port={port}"));
            }
            else
            {
                info.ArgumentList.Add("--unix=" + SocketPath);
            }
        }
        else
        {
            info.ArgumentList.Add("--socket=" + SocketPath);
            info.ArgumentList.Add("--shared=8");
            info.ArgumentList.Add("--persistent");
        }

        foreach (var argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (Environment.GetEnvironmentVariable("NBD_TESTS_VERBOSE") == "1" && _program == "nbdkit")
        {
            info.ArgumentList.Insert(0, "-v");
        }

        var process = await ChildProcessLauncher.StartAsync(info);
        _process = process;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = stderr.ContinueWith(t => File.WriteAllText(Path.Combine(Directory, $"stderr-{process.Id}.log"), t.IsCompletedSuccessfully ? t.Result : "?"), TaskScheduler.Default);
        var deadline = Stopwatch.StartNew();
        while (!await AcceptsAsync())
        {
            if (process.HasExited)
            {
                Stderr = await stderr;
                throw new InvalidOperationException($"{_program} {string.Join(' ', _arguments)} exited with {process.ExitCode}: {Stderr}");
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"{_program} did not listen within 15 s");
            }

            await Task.Delay(20);
        }

        _ = stderr.ContinueWith(t => Stderr = t.IsCompletedSuccessfully ? t.Result : "", TaskScheduler.Default);
    }

    /// <summary>SIGKILL by pid: every connection drops at once, as when a server crashes.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            if (Environment.GetEnvironmentVariable("NBD_TESTS_VERBOSE") != "1")
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still open by a dying server; the temp directory is cleaned by the OS.
        }
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var socket = _port is { } port
                ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            EndPoint endPoint = _port is { } p ? new IPEndPoint(IPAddress.Loopback, p) : new UnixDomainSocketEndPoint(SocketPath);
            if (_port is null && !File.Exists(SocketPath))
            {
                return false;
            }

            await socket.ConnectAsync(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

}
