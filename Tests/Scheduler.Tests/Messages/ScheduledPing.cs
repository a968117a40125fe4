namespace Migration.Tests.Scheduler.Messages;

/// <summary>A message as a saga would schedule it: a few fields, one nested.</summary>
public sealed record ScheduledPing
{
    public Guid Id { get; init; }

    public string Text { get; init; } = "";

    public PingDetail Detail { get; init; } = new();
}

public sealed record PingDetail
{
    public long Bytes { get; init; }

    public DateTimeOffset At { get; init; }
}
