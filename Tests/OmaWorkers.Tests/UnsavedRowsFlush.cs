using System.Reflection;
using MassTransit;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.OmaWorkers;

/// <summary>
/// TEST ONLY: what the Dapper saga session does at save time, for the in-memory saga repository of these unit tests:
/// after a message was consumed, the rows its step added to the instance go to the <see cref="RecordingStore"/>
/// (disk rows marked "may fail" tolerate a failing store); a step that threw adds nothing. The <see cref="ConsumeGate"/>
/// is held for the whole of it.
/// </summary>
public sealed class UnsavedRowsFlush<T>(RecordingStore store, ILoadSagaRepository<ReplicationState> sagas, ConsumeGate gate) : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly PropertyInfo? CorrelationIdProperty = typeof(T).GetProperty("CorrelationId", typeof(Guid));

    public void Probe(ProbeContext context) => context.CreateFilterScope("unsavedRowsFlush");

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        gate.Enter();
        try
        {
            await SendAndFlushAsync(context, next);
        }
        finally
        {
            gate.Exit();
        }
    }

    private async Task SendAndFlushAsync(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch
        {
            (await FindAsync(context))?.Unsaved.Clear();
            throw;
        }

        var instance = await FindAsync(context);
        if (instance is null)
        {
            return;
        }

        var unsaved = instance.Unsaved;
        foreach (var entry in unsaved.Log)
        {
            await store.AppendJobLogAsync(entry, context.CancellationToken);
        }

        await store.AddCbtHistoryAsync(unsaved.History, context.CancellationToken);
        // As the session: no disk rows, no disk statement (an empty write must not use up a failure a test arranged).
        if (unsaved.Disks.Count > 0)
        {
            try
            {
                await store.UpsertDisksAsync(unsaved.Disks, context.CancellationToken);
            }
            catch (InvalidOperationException) when (unsaved.DisksMayFail)
            {
                // The session rolls the disk rows back to their savepoint and keeps the job row.
            }
        }

        unsaved.Clear();
    }

    private async Task<ReplicationState?> FindAsync(ConsumeContext<T> context) =>
        CorrelationIdProperty?.GetValue(context.Message) is Guid id ? await sagas.Load(id) : null;
}
