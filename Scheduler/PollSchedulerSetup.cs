using global::Quartz;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Scheduler.Polling;
using Migration.Scheduler.Quartz;

namespace Migration.Scheduler;

public static class PollSchedulerSetup
{
    /// <summary>
    /// Adds Quartz (hosted, jobs built by the container) on the store <c>Scheduler:Quartz</c> names, with the one
    /// repeating poll sweep: every <c>Tracking:PollInterval</c>, forever, skipping missed firings rather than
    /// bursting them. The sweep needs an <see cref="IPollSweepStore"/>, an <see cref="IJobQueries"/> and the bus; the host registers both.
    /// </summary>
    public static IServiceCollection AddPollScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TrackingOptions>().Bind(configuration.GetSection(TrackingOptions.Section))
            .Validate(t => t.EffectivePollSpreadWindow < t.PollInterval && t.PollSpreadSlots >= 1,
                "Tracking:PollSpreadWindow must be shorter than Tracking:PollInterval, and Tracking:PollSpreadSlots at least 1")
            .Validate(t => t.PollBatchSize is >= 1 and <= TrackingOptions.MaxPollBatchSize,
                $"Tracking:PollBatchSize must be from 1 (one poll per job) to {TrackingOptions.MaxPollBatchSize} (the VMA's batch limit)")
            .Validate(t => t.EffectiveBehindAfter >= t.PollInterval * 2,
                "Tracking:BehindAfter must be at least two Tracking:PollInterval: a healthy job whose last answer was throttled is one interval behind")
            .ValidateOnStart();
        services.AddOptions<QuartzStoreOptions>().Bind(configuration.GetSection(QuartzStoreOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RecentPolls>();
        services.TryAddSingleton<KnownActiveJobs>();
        services.TryAddSingleton<ContactTimeoutSweep>();
        services.AddHostedService<OutagePolling>();

        var tracking = configuration.GetSection(TrackingOptions.Section).Get<TrackingOptions>() ?? new TrackingOptions();
        var store = configuration.GetSection(QuartzStoreOptions.Section).Get<QuartzStoreOptions>() ?? new QuartzStoreOptions();
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();

        services.AddQuartz(quartz =>
        {
            quartz.UseConfiguredStore(store, database);

            quartz.AddJob<PollSweepJob>(job => job
                .WithIdentity(PollSweepJob.Key)
                .WithDescription("Publishes PollProgress for every active job that is due")
                .StoreDurably(true));

            quartz.AddTrigger<PollSweepJob>(trigger => trigger
                .WithIdentity(PollSweepJob.TriggerKey)
                .ForJob(PollSweepJob.Key)
                .StartNow()
                .WithSimpleSchedule(schedule => schedule
                    .WithInterval(tracking.PollInterval)
                    .RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
                // A sweep more than two intervals late is a missed sweep (the next one covers the same jobs); a
                // little late, on a busy node, it still runs once. Never a burst of catch-up sweeps.
                .WithMisfireThreshold(TimeSpan.FromTicks(Math.Max(tracking.PollInterval.Ticks * 2, TimeSpan.FromSeconds(1).Ticks))));
        });

        // Shutdown waits for a running sweep or message delivery to finish rather than cutting it off.
        services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        return services;
    }
}
