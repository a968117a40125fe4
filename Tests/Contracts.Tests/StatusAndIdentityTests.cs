using Migration.Contracts;
using Migration.Contracts.Status;

namespace Migration.Tests.Contracts;

public sealed class StatusMappingTests
{
    [Theory]
    [InlineData(VmaJobStatus.Queued, "pending")]
    [InlineData(VmaJobStatus.Preparing, "preparing")]
    [InlineData(VmaJobStatus.Snapshotting, "snapshotting")]
    [InlineData(VmaJobStatus.Streaming, "streaming")]
    [InlineData(VmaJobStatus.Finalizing, "finalizing")]
    [InlineData(VmaJobStatus.Succeeded, "completed")]
    [InlineData(VmaJobStatus.Failed, "failed")]
    public void Job_statuses_map_as_the_seed_table_says(VmaJobStatus status, string dbStatus) =>
        Assert.Equal(dbStatus, StatusMapping.ToDbStatus(status));

    [Theory]
    [InlineData(VmaDiskStatus.Queued, "pending")]
    [InlineData(VmaDiskStatus.Snapshotting, "snapshotting")]
    [InlineData(VmaDiskStatus.Streaming, "syncing")]
    [InlineData(VmaDiskStatus.Completed, "completed")]
    [InlineData(VmaDiskStatus.Failed, "failed")]
    public void Disk_statuses_map_to_the_seeds_sync_status(VmaDiskStatus status, string dbStatus) =>
        Assert.Equal(dbStatus, StatusMapping.ToDbStatus(status));

    [Fact]
    public void The_tables_cover_every_status_and_only_two_are_terminal()
    {
        Assert.Equal(7, Enum.GetValues<VmaJobStatus>().Length);
        Assert.Equal(5, Enum.GetValues<VmaDiskStatus>().Length);
        Assert.Equal(
            [VmaJobStatus.Succeeded, VmaJobStatus.Failed],
            Enum.GetValues<VmaJobStatus>().Where(StatusMapping.IsTerminal));
        Assert.Equal(
            ["pending", "preparing", "snapshotting", "streaming", "finalizing", "completed", "failed"],
            Enum.GetValues<VmaJobStatus>().Select(StatusMapping.ToDbStatus));
        Assert.Equal(StatusMapping.ActiveJobStatuses.Concat(StatusMapping.TerminalJobStatuses), Enum.GetValues<VmaJobStatus>().Select(StatusMapping.ToDbStatus));
        Assert.Throws<ArgumentOutOfRangeException>(() => StatusMapping.ToDbStatus((VmaJobStatus)99));
    }
}

public sealed class JobIdentityTests
{
    /// <summary>Expected values computed independently (Python's uuid.uuid5 with the product's namespace).</summary>
    [Theory]
    [InlineData("job-1", "3d2e973b-13ec-5542-993c-ada949b9b96e")]
    [InlineData("repl:2025-09-04.vm_42", "f4f33d7d-17a5-5e69-b397-c9cee07d6a9c")]
    [InlineData("x", "bda00137-a78f-52fb-a713-797fa58a4ca5")]
    public void The_correlation_id_is_the_rfc_9562_name_based_uuid(string jobId, string expected)
    {
        Assert.Equal(Guid.Parse(expected), JobIdentity.ToCorrelationId(jobId));
        Assert.Equal(JobIdentity.ToCorrelationId(jobId), JobIdentity.ToCorrelationId(new string(jobId.ToCharArray())));
    }

    [Fact]
    public void Different_job_ids_get_different_correlation_ids_and_messages_carry_them()
    {
        Assert.NotEqual(JobIdentity.ToCorrelationId("job-1"), JobIdentity.ToCorrelationId("job-2"));
        Assert.NotEqual(JobIdentity.ToCorrelationId("job-1"), JobIdentity.ToCorrelationId("Job-1"));
        Assert.Equal(JobIdentity.ToCorrelationId("job-1"), new PollProgress { JobId = "job-1" }.CorrelationId);
        Assert.Equal(Guid.Empty, new PollProgress { JobId = "not valid" }.CorrelationId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("ümlaut")]
    [InlineData("semi;colon")]
    public void Invalid_job_ids_are_rejected(string? jobId)
    {
        Assert.False(JobIdentity.IsValid(jobId));
        if (jobId is not null)
        {
            Assert.Throws<ArgumentException>(() => JobIdentity.ToCorrelationId(jobId));
        }
    }

    [Fact]
    public void Job_ids_up_to_255_characters_are_valid()
    {
        Assert.True(JobIdentity.IsValid(new string('a', JobIdentity.MaxLength)));
        Assert.False(JobIdentity.IsValid(new string('a', JobIdentity.MaxLength + 1)));
        Assert.True(JobIdentity.IsValid("A-z_0.9:x"));
    }
}
