using System.Net;
using System.Net.Sockets;

namespace Migration.Tests.Support;

/// <summary>
/// Free loopback ports for the servers and hosts a test starts. The kernel may hand a port that was just released out
/// again at once, so two hosts started one after the other could both be told the same port before the first binds it
/// (a scheduler once failed to start that way): a port handed out once is never handed out again by this process.
/// </summary>
public static class LoopbackPorts
{
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
