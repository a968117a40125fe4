using MassTransit.Testing;
using Microsoft.Extensions.Time.Testing;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.OmaWorkers.Saga;
using MassTransit;
using static Migration.Tests.OmaWorkers.SagaHost;

namespace Migration.Tests.OmaWorkers;

public class ReplicationStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly (ReplicationStage Stage, VmaJobStatus Status, double Percent)[] NineStages =
    [
        (ReplicationStage.Discover, VmaJobStatus.Preparing, 0),
        (ReplicationStage.EnableCBT, VmaJobStatus.Preparing, 0),
        (ReplicationStage.QueryCBT, VmaJobStatus.Preparing, 0),
        (ReplicationStage.Snapshot, VmaJobStatus.Snapshotting, 0),
        (ReplicationStage.PrepareVolumes, VmaJobStatus.Preparing, 0),
        (ReplicationStage.StartExports, VmaJobStatus.Preparing, 0),
        (ReplicationStage.Transfer, VmaJobStatus.Streaming, 10),
        (ReplicationStage.Transfer, VmaJobStatus.Streaming, 30),
        (ReplicationStage.Transfer, VmaJobStatus.Streaming, 60),
        (ReplicationStage.Transfer, VmaJobStatus.Streaming, 90),
        (ReplicationStage.Finalize, VmaJobStatus.Finalizing, 100),
        (ReplicationStage.PersistChangeIDs, VmaJobStatus.Finalizing, 100),
        (ReplicationStage.PersistChangeIDs, VmaJobStatus.Succeeded, 100),
    ];

    [Fact]
    public async Task Happy_path_runs_through_all_nine_stages_to_completed()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        var job = await host.StartPendingJob("job-happy");
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), job.NextPollAt);
        Assert.True(await host.Harness.Published.Any<StartVmaReplication>(m => m.Context.Message.JobId == "job-happy"));

        var seenStatuses = new List<string>();
        foreach (var (stage, status, percent) in NineStages)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await host.Observe(Doc("job-happy", stage, status, percent, time.GetUtcNow()));
            job = await host.WaitFor("job-happy", j => j.CurrentOperation == stage.ToString() && j.Status == StatusMapping.ToDbStatus(status) && j.ProgressPercent >= (decimal)percent);
            seenStatuses.Add(job.Status);
        }

        job = await host.WaitFor("job-happy", j => j.Status == StatusMapping.Completed);
        Assert.Equal(["preparing", "snapshotting", "streaming", "finalizing", "completed"], seenStatuses.Distinct());
        Assert.Equal(100m, job.ProgressPercent);
        Assert.Equal(1000, job.BytesTransferred);
        Assert.Equal(1000, job.TotalBytes);
        Assert.Null(job.NextPollAt);
        Assert.NotNull(job.CompletedAt);
        Assert.Equal("incremental", job.SyncType);

        var stageLog = host.Store.LogOf("job-happy").Where(l => l.EventKind == "stage").Select(l => l.DedupeKey).ToList();
        Assert.Equal(Enum.GetNames<ReplicationStage>().Select(s => $"stage-{s}"), stageLog);
        var milestones = host.Store.LogOf("job-happy").Where(l => l.EventKind == "milestone").Select(l => l.Message).ToList();
        Assert.Equal(["Progress reached 25%", "Progress reached 50%", "Progress reached 75%", "Progress reached 100%"], milestones);
        var messages = host.Store.LogOf("job-happy").Select(l => l.Message).ToList();
        Assert.Contains(JobLog.StartingPolling, messages);
        Assert.Contains(JobLog.CompletedStopping, messages);
        Assert.Contains(JobLog.StoppedPolling, messages);
        Assert.All(host.Store.LogOf("job-happy"), l => Assert.Equal(JobIdentity.ToCorrelationId("job-happy"), l.CorrelationId));

        var history = host.Store.HistoryOf("job-happy");
        Assert.Equal(2, history.Count);
        Assert.All(history, h => Assert.True(h.SyncSuccess));
        Assert.Equal("22222222-2222-2222-2222-222222222222/5", history.Single(h => h.DiskId == "disk-1").ChangeId);
        Assert.Equal("22222222-2222-2222-2222-222222222222/4", history.Single(h => h.DiskId == "disk-1").PreviousChangeId);
        Assert.All(host.Store.Disks.Values, d => Assert.Equal(StatusMapping.Completed, d.SyncStatus));
        Assert.Equal("11111111-1111-1111-1111-111111111111/2", host.Store.Disks[("job-happy", "disk-0")].DiskChangeId);
        Assert.True(await host.Harness.Published.Any<ReplicationCompleted>(m => m.Context.Message.JobId == "job-happy"));
        Assert.Equal(9, host.Harness.Published.Select<ReplicationStageChanged>().Count(m => m.Context.Message.JobId == "job-happy"));
    }

    [Fact]
    public async Task Duplicate_and_out_of_order_observations_change_nothing_twice_and_never_go_backwards()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-dup");

        time.Advance(TimeSpan.FromSeconds(1));
        var at60 = time.GetUtcNow();
        var sixty = Doc("job-dup", ReplicationStage.Transfer, VmaJobStatus.Streaming, 60, at60);
        await host.Observe(sixty, at60);
        var job = await host.WaitFor("job-dup", j => j.ProgressPercent == 60m);
        var version = (job.UpdatedAt, job.LastContactAt, job.BytesTransferred);

        await host.Observe(sixty, at60); // redelivered
        time.Advance(TimeSpan.FromSeconds(0.5));
        var older = Doc("job-dup", ReplicationStage.Transfer, VmaJobStatus.Streaming, 30, at60.AddSeconds(-1));
        await host.Observe(older, time.GetUtcNow()); // an older document arriving late
        time.Advance(TimeSpan.FromSeconds(0.1));
        await host.Observe(Doc("job-dup", ReplicationStage.Transfer, VmaJobStatus.Streaming, 45, time.GetUtcNow()), at60.AddSeconds(-2)); // overtaken

        job = await host.Settle("job-dup");
        Assert.Equal(60m, job.ProgressPercent);
        Assert.Equal(600, job.BytesTransferred);
        Assert.Equal(version, (job.UpdatedAt, job.LastContactAt, job.BytesTransferred));
        Assert.Equal(2, host.Store.LogOf("job-dup").Count(l => l.EventKind == "milestone"));
        Assert.Single(host.Store.LogOf("job-dup"), l => l.DedupeKey == "stage-Transfer");
    }

    [Fact]
    public async Task Observation_rejected_by_the_throttle_leaves_the_job_untouched()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-throttle");
        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-throttle", ReplicationStage.Transfer, VmaJobStatus.Streaming, 40, time.GetUtcNow()));
        var before = await host.WaitFor("job-throttle", j => j.ProgressPercent == 40m);
        var snapshot = (before.UpdatedAt, before.LastContactAt, before.ProgressPercent, before.NextPollAt);

        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-throttle", ReplicationStage.Transfer, VmaJobStatus.Streaming, 40.5, time.GetUtcNow()));
        var after = await host.Settle("job-throttle");

        Assert.Equal(snapshot, (after.UpdatedAt, after.LastContactAt, after.ProgressPercent, after.NextPollAt));
    }

    [Fact]
    public async Task Three_failed_polls_back_off_and_success_returns_to_two_seconds()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-backoff");

        var expectedDelays = new[] { 2, 2, 4, 8, 16, 30, 30 };
        for (var i = 0; i < expectedDelays.Length; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var failedAt = time.GetUtcNow();
            await host.PollFailed("job-backoff", failedAt);
            var failures = i + 1;
            var job = await host.WaitFor("job-backoff", j => j.ConsecutivePollFailures == failures);
            Assert.Equal(failedAt + TimeSpan.FromSeconds(expectedDelays[i]), job.NextPollAt);
        }

        Assert.Single(host.Store.LogOf("job-backoff"), l => l.EventKind == "backoff");
        // Seven failures for one reason: job_log keeps the reason once (its dedupe key), not once per poll.
        Assert.Single(host.Store.LogOf("job-backoff"), l => l.EventKind == "poll-failed");

        time.Advance(TimeSpan.FromSeconds(1));
        var observedAt = time.GetUtcNow();
        await host.Observe(Doc("job-backoff", ReplicationStage.Discover, VmaJobStatus.Preparing, 0, observedAt), observedAt);
        var recovered = await host.WaitFor("job-backoff", j => j.ConsecutivePollFailures == 0);
        Assert.Equal(observedAt + TimeSpan.FromSeconds(2), recovered.NextPollAt);
        Assert.Equal(observedAt, recovered.LastContactAt);
    }

    [Fact]
    public async Task A_redelivered_poll_failure_is_counted_once()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-redelivered");

        time.Advance(TimeSpan.FromSeconds(1));
        var first = time.GetUtcNow();
        await host.PollFailed("job-redelivered", first);
        await host.WaitFor("job-redelivered", j => j.ConsecutivePollFailures == 1);
        await host.PollFailed("job-redelivered", first); // the same message again (a redelivery after a lost ack)
        await host.PollFailed("job-redelivered", first);
        var settled = await host.Settle("job-redelivered");
        Assert.Equal(1, settled.ConsecutivePollFailures);
        Assert.Equal(first + TimeSpan.FromSeconds(2), settled.NextPollAt);

        time.Advance(TimeSpan.FromSeconds(2));
        await host.PollFailed("job-redelivered", time.GetUtcNow());
        await host.WaitFor("job-redelivered", j => j.ConsecutivePollFailures == 2);
    }

    [Fact]
    public async Task In_backoff_the_next_poll_counts_from_the_failure_so_a_VMA_that_holds_polls_open_is_polled_less_often()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-held");

        // Each poll is asked at RequestedAt and times out 10 s later.
        var expected = new[] { (Requested: 0, Next: 2), (Requested: 10, Next: 12), (Requested: 20, Next: 30 + 4), (Requested: 34, Next: 44 + 8) };
        for (var i = 0; i < expected.Length; i++)
        {
            var requestedAt = T0 + TimeSpan.FromSeconds(expected[i].Requested);
            time.SetUtcNow(requestedAt + TimeSpan.FromSeconds(10));
            await host.Harness.Bus.Publish(new ProgressPollFailed
            {
                JobId = "job-held", RequestedAt = requestedAt, FailedAt = time.GetUtcNow(), Reason = "did not answer within the HTTP timeout (test)",
            });
            var failures = i + 1;
            var job = await host.WaitFor("job-held", j => j.ConsecutivePollFailures == failures);
            Assert.Equal(T0 + TimeSpan.FromSeconds(expected[i].Next), job.NextPollAt);
        }
    }

    [Fact]
    public async Task Job_fails_after_the_contact_timeout_without_contact()
    {
        await using var host = await StartAsync(new() { ["Tracking:ContactTimeout"] = "00:00:01" });
        await host.StartJob("job-silent");
        await host.WaitFor("job-silent", j => j.Status is StatusMapping.Pending or StatusMapping.Failed);
        await host.PollFailed("job-silent");

        var job = await host.WaitFor("job-silent", j => j.Status == StatusMapping.Failed && j.CurrentState == "Failed", TimeSpan.FromSeconds(20));
        Assert.StartsWith(JobLog.ContactTimeoutExceeded, job.ErrorMessage);
        Assert.Null(job.NextPollAt);
        Assert.Equal("Failed", job.CurrentState);
        var log = await host.WaitForLog("job-silent", l => l.EventKind == "timeout");
        Assert.Contains(log, l => l.EventKind == "timeout" && l.Message == JobLog.ContactTimeoutExceeded && l.Level == "Error");
        Assert.Contains(log, l => l.Message == JobLog.StoppedPolling);
        // The bus may have been idle before the timeout fired, so the harness's Any would not wait for the publish.
        await host.WaitForPublished<ReplicationFailed>(m => m.JobId == "job-silent");
    }

    [Fact]
    public async Task Contact_before_the_timeout_rearms_it_and_the_job_fails_only_after_contact_stops()
    {
        await using var host = await StartAsync(new()
        {
            ["Tracking:ContactTimeout"] = "00:00:01.500",
            ["Tracking:WriteMinInterval"] = "00:00:00.100",
        });
        await host.StartPendingJob("job-alive");

        var started = DateTimeOffset.UtcNow;
        var percent = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(3.5))
        {
            percent += 2;
            await host.Observe(Doc("job-alive", ReplicationStage.Transfer, VmaJobStatus.Streaming, percent, host.Time.GetUtcNow()));
            await Task.Delay(250);
        }

        var alive = host.Job("job-alive")!;
        Assert.Equal(StatusMapping.Streaming, alive.Status);
        var lastContact = alive.LastContactAt!.Value;

        var failed = await host.WaitFor("job-alive", j => j.Status == StatusMapping.Failed, TimeSpan.FromSeconds(10));
        Assert.True(host.Time.GetUtcNow() - lastContact >= TimeSpan.FromSeconds(1.5));
        Assert.StartsWith(JobLog.ContactTimeoutExceeded, failed.ErrorMessage);
    }

    [Fact]
    public async Task Cancel_fails_the_job_and_asks_the_VMA_to_stop()
    {
        await using var host = await StartAsync();
        await host.StartPendingJob("job-cancel");
        await host.Observe(Doc("job-cancel", ReplicationStage.Transfer, VmaJobStatus.Streaming, 20, host.Time.GetUtcNow()));
        await host.WaitFor("job-cancel", j => j.Status == StatusMapping.Streaming);

        await host.Harness.Bus.Publish(new CancelReplication { JobId = "job-cancel", Reason = "operator asked" });

        var job = await host.WaitFor("job-cancel", j => j.Status == StatusMapping.Failed);
        Assert.Equal("Cancelled: operator asked", job.ErrorMessage);
        Assert.True(await host.Harness.Published.Any<CancelVmaReplication>(m => m.Context.Message.JobId == "job-cancel"));
        Assert.All(host.Store.HistoryOf("job-cancel"), h => Assert.False(h.SyncSuccess));
        Assert.Equal(2, host.Store.HistoryOf("job-cancel").Count);

        await host.Observe(Doc("job-cancel", ReplicationStage.Transfer, VmaJobStatus.Streaming, 50, host.Time.GetUtcNow().AddSeconds(5)), host.Time.GetUtcNow().AddSeconds(5));
        job = await host.Settle("job-cancel");
        Assert.Equal(StatusMapping.Failed, job.Status);
        Assert.Equal(20m, job.ProgressPercent);
    }

    [Fact]
    public async Task VMA_reported_failure_records_unfinished_disks_as_unsuccessful()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-vma-fail");
        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-vma-fail", ReplicationStage.Transfer, VmaJobStatus.Failed, 70, time.GetUtcNow(), error: "target write failed: disk full"));

        var job = await host.WaitFor("job-vma-fail", j => j.Status == StatusMapping.Failed);
        Assert.Equal("target write failed: disk full", job.ErrorMessage);
        var history = host.Store.HistoryOf("job-vma-fail");
        Assert.False(history.Single(h => h.DiskId == "disk-0").SyncSuccess);
        Assert.Null(history.Single(h => h.DiskId == "disk-0").ChangeId);
        Assert.True(history.Single(h => h.DiskId == "disk-1").SyncSuccess);
    }

    [Fact]
    public async Task A_completed_job_never_reopens()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-final");
        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-final", ReplicationStage.PersistChangeIDs, VmaJobStatus.Succeeded, 100, time.GetUtcNow()));
        await host.WaitFor("job-final", j => j.Status == StatusMapping.Completed);

        time.Advance(TimeSpan.FromSeconds(5));
        await host.Observe(Doc("job-final", ReplicationStage.Transfer, VmaJobStatus.Streaming, 10, time.GetUtcNow()));
        await host.PollFailed("job-final", time.GetUtcNow());
        await host.StartJob("job-final");
        var job = await host.Settle("job-final");

        Assert.Equal(StatusMapping.Completed, job.Status);
        Assert.Equal(100m, job.ProgressPercent);
        Assert.Equal(0, job.ConsecutivePollFailures);
        Assert.Equal(2, host.Store.HistoryOf("job-final").Count);
    }

    [Fact]
    public async Task An_invalid_start_command_faults_and_creates_no_job()
    {
        await using var host = await StartAsync();
        await host.Harness.Bus.Publish(new StartReplication { JobId = "job-bad", VmaUrl = "not a url", Vm = new() { Name = "demo-vm-1" } });
        await host.Harness.Bus.Publish(new StartReplication { JobId = "job-novm", VmaUrl = "http://vma.test" });

        // Rejected before the saga repository is touched: MassTransit moves the message to _error with a ReceiveFault.
        Assert.True(await host.Harness.Published.Any<MassTransit.ReceiveFault>());
        Assert.True(await host.Harness.Consumed.Any<StartReplication>(c => c.Context.Message.JobId == "job-bad" && c.Exception is InvalidCommandException));
        Assert.True(await host.Harness.Consumed.Any<StartReplication>(c => c.Context.Message.JobId == "job-novm" && c.Exception is InvalidCommandException));
        await host.Harness.InactivityTask;
        Assert.Null(host.Job("job-bad"));
        Assert.Null(host.Job("job-novm"));
        Assert.Empty(host.Store.LogOf("job-bad"));
    }

    [Fact]
    public async Task A_VMA_that_lost_the_job_gets_the_start_request_again_with_the_same_body()
    {
        await using var host = await StartAsync();
        host.Store.ChangeIdsByVm["demo-vm-2"] = new() { ["disk-0"] = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/3" };
        await host.StartPendingJob("job-404", vm: "demo-vm-2");
        await host.Observe(Doc("job-404", ReplicationStage.Discover, VmaJobStatus.Preparing, 0, host.Time.GetUtcNow()));
        await host.WaitFor("job-404", j => j.LastContactAt is not null);

        await host.PollFailed("job-404", host.Time.GetUtcNow().AddMilliseconds(1), unknown: true);
        await host.WaitFor("job-404", j => j.ConsecutivePollFailures == 1);

        var starts = host.Harness.Published.Select<StartVmaReplication>().Where(m => m.Context.Message.JobId == "job-404").ToList();
        Assert.Equal(2, starts.Count);
        Assert.All(starts, s => Assert.Equal("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/3", s.Context.Message.PreviousChangeIds["disk-0"]));
        Assert.All(starts, s => Assert.Equal("demo-vm-2", s.Context.Message.Vm.Name));
        Assert.Contains(host.Store.LogOf("job-404"), l => l.EventKind == "vma-restarted");
    }

    [Fact]
    public async Task A_job_the_VMA_has_not_heard_of_yet_right_after_its_start_is_polled_on_as_if_nothing_failed()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-overtaken");

        // The first poll overtook the start request (a wave of starts): the VMA answers 404 within the start grace.
        time.Advance(TimeSpan.FromSeconds(2));
        await host.PollFailed("job-overtaken", time.GetUtcNow(), unknown: true);
        var job = await host.Settle("job-overtaken");

        Assert.Equal(0, job.ConsecutivePollFailures);
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), job.NextPollAt);
        Assert.Single(host.Harness.Published.Select<StartVmaReplication>(), m => m.Context.Message.JobId == "job-overtaken");
        Assert.DoesNotContain(host.Store.LogOf("job-overtaken"), l => l.EventKind is "vma-restarted" or "poll-failed");
    }

    [Fact]
    public async Task A_job_the_VMA_never_heard_of_gets_its_start_again_once_the_start_grace_is_over()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(new() { ["Tracking:StartGrace"] = "00:00:20" }, time);
        await host.StartPendingJob("job-lost-start");

        time.Advance(TimeSpan.FromSeconds(20));
        await host.PollFailed("job-lost-start", time.GetUtcNow(), unknown: true);
        await host.WaitFor("job-lost-start", j => j.ConsecutivePollFailures == 1);

        await host.WaitForLog("job-lost-start", l => l.EventKind == "vma-restarted");
        await host.Settle("job-lost-start");
        Assert.Equal(2, host.Harness.Published.Select<StartVmaReplication>().Count(m => m.Context.Message.JobId == "job-lost-start"));
    }

    [Fact]
    public async Task A_full_sync_does_not_send_previous_change_ids()
    {
        await using var host = await StartAsync();
        host.Store.ChangeIdsByVm["demo-vm-3"] = new() { ["disk-0"] = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/3" };
        await host.StartPendingJob("job-full", vm: "demo-vm-3", sync: SyncType.Full);

        var start = host.Harness.Published.Select<StartVmaReplication>().Single(m => m.Context.Message.JobId == "job-full").Context.Message;
        Assert.Empty(start.PreviousChangeIds);
        Assert.Equal(SyncType.Full, start.SyncType);
    }

    [Fact]
    public async Task A_failed_disk_write_does_not_block_the_job_write()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-disk-fail");
        await host.Settle("job-disk-fail");
        host.Store.FailDiskWrites = 1;

        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-disk-fail", ReplicationStage.Transfer, VmaJobStatus.Streaming, 30, time.GetUtcNow()));
        await host.WaitFor("job-disk-fail", j => j.ProgressPercent == 30m);
        await host.Settle("job-disk-fail");
        Assert.DoesNotContain(host.Store.Disks.Keys, k => k.JobId == "job-disk-fail");

        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-disk-fail", ReplicationStage.Transfer, VmaJobStatus.Streaming, 40, time.GetUtcNow()));
        await host.WaitFor("job-disk-fail", j => j.ProgressPercent == 40m);
        await host.Settle("job-disk-fail");
        Assert.Equal(200, host.Store.Disks[("job-disk-fail", "disk-0")].BytesSynced);
    }

    [Fact]
    public async Task Stages_that_began_and_ended_between_two_polls_are_recorded_as_passed()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await StartAsync(time: time);
        await host.StartPendingJob("job-jump");
        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-jump", ReplicationStage.EnableCBT, VmaJobStatus.Preparing, 0, time.GetUtcNow()));
        await host.WaitFor("job-jump", j => j.CurrentOperation == "EnableCBT");
        time.Advance(TimeSpan.FromSeconds(1));
        await host.Observe(Doc("job-jump", ReplicationStage.Transfer, VmaJobStatus.Streaming, 5, time.GetUtcNow()));
        await host.WaitFor("job-jump", j => j.CurrentOperation == "Transfer");

        var stages = host.Store.LogOf("job-jump").Where(l => l.EventKind == "stage").Select(l => l.Message).ToList();
        Assert.Equal(
        [
            "Stage Discover (passed between polls)", "Stage EnableCBT (status preparing)", "Stage QueryCBT (passed between polls)",
            "Stage Snapshot (passed between polls)", "Stage PrepareVolumes (passed between polls)",
            "Stage StartExports (passed between polls)", "Stage Transfer (status streaming)",
        ], stages);
    }
}
