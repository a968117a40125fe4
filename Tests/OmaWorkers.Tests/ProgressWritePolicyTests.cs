using Migration.Oma;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.OmaWorkers;

public class ProgressWritePolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TrackingOptions Options = new();

    public static TheoryData<string, string?, decimal, double, string, string?, decimal, WriteReasons> Cases() => new()
    {
        // status, operation, percent written | seconds later | observed status, operation, percent | expected
        { "streaming", "Transfer", 10.00m, 1.0, "streaming", "Transfer", 10.99m, WriteReasons.None },
        { "streaming", "Transfer", 10.00m, 1.0, "streaming", "Transfer", 11.00m, WriteReasons.ProgressDelta },
        { "streaming", "Transfer", 10.00m, 1.0, "streaming", "Transfer", 10.01m, WriteReasons.None },
        { "streaming", "Transfer", 10.00m, 1.99, "streaming", "Transfer", 10.00m, WriteReasons.None },
        { "streaming", "Transfer", 10.00m, 2.0, "streaming", "Transfer", 10.00m, WriteReasons.IntervalElapsed },
        { "preparing", "Discover", 0m, 0.1, "preparing", "EnableCBT", 0m, WriteReasons.OperationChanged },
        { "preparing", "PrepareVolumes", 5m, 0.1, "snapshotting", "PrepareVolumes", 5m, WriteReasons.StatusChanged },
        { "pending", null, 0m, 0.1, "preparing", "Discover", 0m, WriteReasons.StatusChanged | WriteReasons.OperationChanged },
        { "streaming", "Transfer", 99m, 0.1, "completed", "PersistChangeIDs", 100m,
            WriteReasons.Terminal | WriteReasons.StatusChanged | WriteReasons.OperationChanged | WriteReasons.ProgressDelta },
        { "streaming", "Transfer", 40m, 0.1, "failed", "Transfer", 40m, WriteReasons.Terminal | WriteReasons.StatusChanged },
        { "streaming", "Transfer", 10m, 2.5, "streaming", "Finalize", 12m,
            WriteReasons.IntervalElapsed | WriteReasons.OperationChanged | WriteReasons.ProgressDelta },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Applies_the_seed_throttle_rules(
        string writtenStatus, string? writtenOperation, decimal writtenPercent, double secondsLater,
        string status, string? operation, decimal percent, WriteReasons expected)
    {
        var reasons = ProgressWritePolicy.Decide(
            new ProgressPoint(writtenStatus, writtenOperation, writtenPercent), T0,
            new ProgressPoint(status, operation, percent), T0.AddSeconds(secondsLater), Options);

        Assert.Equal(expected, reasons);
    }

    [Fact]
    public void Thresholds_come_from_configuration()
    {
        var strict = new TrackingOptions { WriteMinProgressDelta = 5m, WriteMinInterval = TimeSpan.FromSeconds(10) };

        var reasons = ProgressWritePolicy.Decide(
            new ProgressPoint("streaming", "Transfer", 10m), T0,
            new ProgressPoint("streaming", "Transfer", 14.99m), T0.AddSeconds(9.9), strict);

        Assert.Equal(WriteReasons.None, reasons);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(50, 30)]
    public void Backoff_starts_after_three_failures_and_caps_at_thirty_seconds(int failures, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Options.NextPollDelay(failures));
}
