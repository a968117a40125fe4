using Migration.Benchmarks.Pipeline;
using System.Diagnostics;
using System.Net.Sockets;

namespace Migration.Benchmarks.Nbd;

/// <summary>An nbdkit export on a unix socket, started for the benchmark and stopped by its pid.</summary>
internal sealed class Nbdkit : IAsyncDisposable
{
    private readonly Process _process;

    private Nbdkit(Process process, string socket)
    {
        _process = process;
        Socket = socket;
    }

    public string Socket { get; }

    public Uri Uri => new($"nbd+unix:///?socket={Socket}");

    public string LibnbdUri => $"nbd+unix:///?socket={Socket}";

    public static async Task<Nbdkit> StartAsync(string socket, params string[] arguments)
    {
        File.Delete(socket);
        var info = new ProcessStartInfo("nbdkit") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["--foreground", "--unix=" + socket, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new BenchmarkSetupException("nbdkit did not start (is the nbdkit package installed?)");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new BenchmarkSetupException($"nbdkit {string.Join(' ', arguments)} exited: {await process.StandardError.ReadToEndAsync()}");
            }

            if (File.Exists(socket))
            {
                try
                {
                    using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await probe.ConnectAsync(new UnixDomainSocketEndPoint(socket));
                    return new Nbdkit(process, socket);
                }
                catch (SocketException)
                {
                    // Bound but not listening yet.
                }
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                process.Kill();
                throw new BenchmarkSetupException("nbdkit did not listen within 15 s");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
