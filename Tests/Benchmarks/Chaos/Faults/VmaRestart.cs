namespace Migration.Benchmarks.Chaos.Faults;

/// <summary>The VMA killed with SIGKILL mid-transfer and started again: it takes its jobs up again from their journals.</summary>
public sealed class VmaRestart(ChaosHost vma, double at) : IFault
{
    public double At => at;

    public string Name => "VMA SIGKILL + start";

    public async Task RunAsync(FaultLog log, CancellationToken cancellationToken)
    {
        await vma.KillAsync();
        log.VmaKilledAt = DateTimeOffset.UtcNow;
        log.Write("VMA killed (SIGKILL); starting it again");
        await vma.StartAsync();
        await log.WaitReadyAsync(vma, TimeSpan.FromSeconds(120));
    }
}
