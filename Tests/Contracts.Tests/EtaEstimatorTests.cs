using Migration.Contracts.Progress;

namespace Migration.Tests.Contracts;

/// <summary>The ETA's arithmetic: bytes left over a rate that blends the moving average with the VM's previous sync.</summary>
public sealed class EtaEstimatorTests
{
    private const long MiB = 1 << 20;

    public static TheoryData<string, long, long, double, double?, double?> Cases => new()
    {
        // case, planned, transferred, recent B/s, history B/s, expected seconds
        { "nothing planned: no estimate", 0, 0, 10 * MiB, null, null },
        { "every byte moved", 100 * MiB, 100 * MiB, 0, null, 0 },
        { "no rate and no history yet", 100 * MiB, 0, 0, null, null },
        { "moving average alone", 100 * MiB, 40 * MiB, 10 * MiB, null, 6 },
        { "history alone while nothing is measured", 100 * MiB, 0, 0, 20 * MiB, 5 },
        { "at the start the history counts fully", 100 * MiB, 0, 5 * MiB, 20 * MiB, 5 },
        { "at 10 % half history, half moving average", 100 * MiB, 10 * MiB, 5 * MiB, 10 * MiB, 12 },
        { "from 20 % on only the moving average", 100 * MiB, 20 * MiB, 8 * MiB, 80 * MiB, 10 },
        { "a part of a second stays a part", 1000, 999, 1000, null, 0.001 },
        { "more moved than planned is done", 100, 150, 10, null, 0 },
        { "a negative rate is no rate", 100, 10, -5, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seconds_are_the_bytes_left_over_the_blended_rate(string @case, long planned, long transferred, double recent, double? history, double? expected)
    {
        var seconds = EtaEstimator.Seconds(planned, transferred, recent, history);
        Assert.True(expected is null ? seconds is null : seconds is { } s && Math.Abs(s - expected.Value) < 1e-9, $"{@case}: {seconds}");
    }

    [Fact]
    public void The_history_weight_falls_linearly_to_nothing_at_a_fifth_done()
    {
        Assert.Equal(100, EtaEstimator.Rate(0, 50, 100));
        Assert.Equal(75, EtaEstimator.Rate(0.1, 50, 100), 6);
        Assert.Equal(50, EtaEstimator.Rate(0.2, 50, 100));
        Assert.Equal(50, EtaEstimator.Rate(0.9, 50, 100));
    }

    [Fact]
    public void A_previous_syncs_rate_is_its_bytes_over_its_longest_disk()
    {
        Assert.Equal(10.0, EtaEstimator.HistoryRate([(60, 10), (40, 8)]));
        Assert.Null(EtaEstimator.HistoryRate([]));
        Assert.Null(EtaEstimator.HistoryRate([(100, 0)]));
        Assert.Null(EtaEstimator.HistoryRate([(0, 10)]));
    }
}
