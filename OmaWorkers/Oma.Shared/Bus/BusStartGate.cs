using MassTransit;
using Microsoft.Extensions.Options;

namespace Migration.Oma.Bus;

/// <summary>
/// The host's start waits here until its bus is connected and every receive endpoint is consuming, for at most
/// <c>Bus:StartTimeout</c>; then the start fails with a message naming the broker, and the host exits 1. MassTransit's
/// own wait (<see cref="MassTransitHostOptions.WaitUntilStarted"/>) is not used: when the broker went away while the bus
/// was starting, it logged "Bus start canceled" at its timeout and then waited for ever — a worker that neither served
/// nor exited, so no orchestrator restarted it (found by the chaos run).
/// </summary>
public sealed class BusStartGate(IBusControl bus, IOptions<BusOptions> options) : IHostedService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    // The wall clock on purpose: tests that drive the application's TimeProvider by hand must still get a started bus.
    private readonly TimeProvider time = TimeProvider.System;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var deadline = time.GetUtcNow() + settings.StartTimeout;
        var health = bus.CheckHealth();
        while (health.Status != BusHealthStatus.Healthy)
        {
            if (time.GetUtcNow() >= deadline)
            {
                var problem = $"{Broker(settings)}: the bus did not connect and start consuming within {settings.StartTimeout} ({health.Status}: {health.Description})";
                await StopQuietlyAsync();
                ExitIfStillHereLater(problem);
                throw new InvalidOperationException(problem);
            }

            await Task.Delay(CheckInterval, time, cancellationToken);
            health = bus.CheckHealth();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The bus's own retries go on in the background; stopping them (bounded) lets the process end.</summary>
    private async Task StopQuietlyAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
            await bus.StopAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(15), time);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or MassTransitException)
        {
            // exiting anyway
        }
    }

    /// <summary>
    /// The failed start is thrown to the host, which disposes its services before it exits 1; should that disposal
    /// wait on the same stuck bus, the process still ends (with the reason as its last line) instead of lingering.
    /// </summary>
    private void ExitIfStillHereLater(string problem) =>
        _ = Task.Delay(TimeSpan.FromSeconds(30), time).ContinueWith(
            _ =>
            {
                Console.Error.WriteLine($"cannot start: {problem} (the host did not end within 30 s of its failed start)");
                Environment.Exit(1);
            },
            TaskScheduler.Default);

    private static string Broker(BusOptions settings) => settings.Transport == BusTransport.RabbitMq
        ? $"Broker unreachable: {settings.RabbitMq.Username}@{settings.RabbitMq.Host}:{settings.RabbitMq.Port}/{settings.RabbitMq.VirtualHost}"
        : "The in-memory bus did not start";
}
