using Migration.Tests.Support;

namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>The broker stopped (its orderly stop) and started again on its data: every host loses its connections at once.</summary>
public sealed class RabbitMqRestart(TestServers servers, double at) : IFault
{
    public double At => at;

    public string Name => "RabbitMQ restart";

    public async Task RunAsync(FaultLog log, CancellationToken cancellationToken)
    {
        await servers.StopRabbitMqAsync();
        log.Write("RabbitMQ stopped; starting it again");
        await servers.StartRabbitMqAsync();
        log.Write("RabbitMQ running again");
    }
}
