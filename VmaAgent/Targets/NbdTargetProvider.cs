using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.Telemetry;

namespace Migration.VmaAgent.Targets;

/// <summary>
/// Target volumes exported over NBD (<c>nbd://host:port/export</c>, <c>nbd+unix:///export?socket=PATH</c>). A full
/// sync may skip holes only where the export's own block status says the volume reads as zeros.
/// </summary>
public sealed class NbdTargetProvider(IOptions<VmaOptions> options, TimeProvider time, VmaMetrics? metrics = null) : ITargetProvider
{
    private readonly NbdClientOptions _options = options.Value.Nbd;

    public IReadOnlyCollection<string> Schemes => NbdAddress.Schemes;

    public async ValueTask<string?> CheckIncrementalBaseAsync(Uri uri, long capacityBytes, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(uri), _options, time, cancellationToken);
            return SizeProblem(client, capacityBytes);
        }
        catch (NbdException ex)
        {
            return ex.Message;
        }
    }

    public async ValueTask<ITargetDisk> OpenAsync(Uri uri, long capacityBytes, bool fullSync, CancellationToken cancellationToken)
    {
        var client = await NbdClient.ConnectAsync(NbdAddress.Parse(uri), _options, time, cancellationToken);
        client.Metrics = metrics;
        try
        {
            if (SizeProblem(client, capacityBytes) is { } problem)
            {
                throw new NbdException(problem);
            }

            var zeroed = fullSync && await ReadsAsZeroesAsync(client, capacityBytes, cancellationToken);
            return new NbdTargetDisk(client, zeroed, _options.WriteZeroesNoHole);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>The export as it is; on a full sync it still reads as zeros wherever the job has not written if it did at the job's start.</summary>
    public async ValueTask<ITargetDisk?> ReopenAsync(Uri uri, long capacityBytes, bool fullSync, bool zeroedAtStart, CancellationToken cancellationToken)
    {
        var client = await NbdClient.ConnectAsync(NbdAddress.Parse(uri), _options, time, cancellationToken);
        client.Metrics = metrics;
        if (SizeProblem(client, capacityBytes) is { } problem)
        {
            await client.DisposeAsync();
            throw new NbdException(problem);
        }

        return new NbdTargetDisk(client, fullSync && zeroedAtStart, _options.WriteZeroesNoHole);
    }

    private static string? SizeProblem(NbdClient client, long capacityBytes) =>
        client.Info.ReadOnly ? $"NBD export {client.Address.Display} is read-only"
        : client.Info.Size < capacityBytes ? $"NBD export {client.Address.Display} is {client.Info.Size} bytes, the disk {capacityBytes}"
        : null;

    private static async Task<bool> ReadsAsZeroesAsync(NbdClient client, long capacityBytes, CancellationToken cancellationToken)
    {
        if (!client.Info.CanBlockStatus)
        {
            return false;
        }

        var extents = await client.MapAsync(0, capacityBytes, cancellationToken);
        return extents.All(e => e.Zero);
    }
}
