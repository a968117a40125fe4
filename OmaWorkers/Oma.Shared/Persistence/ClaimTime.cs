namespace Migration.Oma.Persistence;

/// <summary>The end of a poll claim as it is stored and compared.</summary>
public static class ClaimTime
{
    /// <summary>Claims are compared for equality when they are moved: whole milliseconds survive every provider's time type.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
