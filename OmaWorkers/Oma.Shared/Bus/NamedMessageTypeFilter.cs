using System.Runtime.Serialization;
using MassTransit;

namespace Migration.Oma.Bus;

/// <summary>
/// Refuses a message that names no contract: a bare JSON body without an <c>MT-MessageType</c> header (or an envelope
/// with an empty <c>messageType</c>). MassTransit's raw JSON deserializer would otherwise offer it to every consumer
/// of the queue as every type they handle — a <c>StartReplication</c> and a <c>ProgressObserved</c> at once. It ends
/// in the queue's <c>_error</c> with this reason (not retried), and nothing runs.
/// </summary>
public sealed class NamedMessageTypeFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next) =>
        context.SupportedMessageTypes.Any()
            ? next.Send(context)
            : throw new SerializationException(
                "MT-MessageType: the message names no contract; publish bare JSON with the header " +
                "MT-MessageType: urn:message:Migration.Contracts:<Type>, or the MassTransit envelope with its messageType");

    public void Probe(ProbeContext context) => context.CreateFilterScope("namedMessageType");
}
