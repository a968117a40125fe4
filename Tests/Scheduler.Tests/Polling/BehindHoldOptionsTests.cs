using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Scheduler;

namespace Migration.Tests.Scheduler.Polling;

/// <summary>The settings of the hold on jobs the saga is behind on, as the scheduler takes them at start-up.</summary>
public sealed class BehindHoldOptionsTests
{
    [Fact]
    public void Unset_the_hold_scales_with_the_poll_interval()
    {
        using var provider = Scheduler(new() { ["Tracking:PollInterval"] = "00:00:05" });

        var tracking = provider.GetRequiredService<IOptions<TrackingOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(15), tracking.EffectiveBehindAfter);
        Assert.Equal(TimeSpan.FromSeconds(25), tracking.EffectiveBehindPollInterval);
    }

    [Fact]
    public void A_job_counted_behind_after_less_than_two_intervals_is_refused_at_start_up()
    {
        // A healthy job whose last answer was throttled is one interval behind: it must not be held back.
        using var provider = Scheduler(new() { ["Tracking:BehindAfter"] = "00:00:03" });

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TrackingOptions>>().Value);

        Assert.Contains("Tracking:BehindAfter must be at least two Tracking:PollInterval", refused.Message, StringComparison.Ordinal);
    }

    static ServiceProvider Scheduler(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddPollScheduler(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();
}
