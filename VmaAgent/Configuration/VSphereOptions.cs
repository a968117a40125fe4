namespace Migration.VmaAgent.Configuration;

/// <summary>How the VMA reaches vCenter (section <c>Vma:VSphere</c>, used when <c>Vma:Source=VSphere</c>).</summary>
public sealed class VSphereOptions
{
    /// <summary>The SDK endpoint, e.g. <c>https://vcenter.example/sdk</c>. Required.</summary>
    public string? Url { get; set; }

    /// <summary>The vCenter user. Required.</summary>
    public string? Username { get; set; }

    /// <summary>The password, or leave it empty and name <see cref="PasswordFile"/>. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>A file whose content (trailing newline removed) is the password: a mounted secret.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Pinned certificate thumbprint, SHA-256 or SHA-1 (as vCenter shows it), hex with or without colons.</summary>
    public string? Thumbprint { get; set; }

    /// <summary>PEM bundle of the CA(s) that signed vCenter's certificate (instead of the system trust store).</summary>
    public string? CaFile { get; set; }

    /// <summary>Accept any certificate. For a lab only: logged as a warning at every start. Default false.</summary>
    public bool Insecure { get; set; }

    /// <summary>Longest wait for one vim25 call or one datastore read. Default 60 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for a TCP/TLS connection to vCenter. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for a vCenter task (reconfigure, snapshot create/remove). Default 30 min (consolidation can be slow).</summary>
    public TimeSpan TaskTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often a running task's state is read. Default 1 s.</summary>
    public TimeSpan TaskPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Quiesce the guest file systems when taking the job's snapshot (needs VMware Tools). Default false.</summary>
    public bool Quiesce { get; set; }

    /// <summary>How snapshot disks are read: <c>Datastore</c> (the datastore file service, the default) or <c>Nbd</c> (an nbdkit export per disk, <see cref="Nbd"/>).</summary>
    public string DiskReader { get; set; } = "Datastore";

    /// <summary>The nbdkit export of each snapshot disk with <c>DiskReader=Nbd</c> (section <c>Vma:VSphere:Nbd</c>).</summary>
    public VSphereNbdOptions Nbd { get; set; } = new();
}
