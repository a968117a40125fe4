namespace Migration.Contracts.Vma;

/// <summary>Where each disk's bytes go: per disk id, an <c>nbd://host:port/export</c>, <c>nbd+unix:///export?socket=PATH</c> or <c>file:///path</c> URI.</summary>
public sealed record ReplicationTarget
{
    public IReadOnlyDictionary<string, TargetDisk> Disks { get; init; } = new Dictionary<string, TargetDisk>();
}

public sealed record TargetDisk
{
    public required string Uri { get; init; }
}
