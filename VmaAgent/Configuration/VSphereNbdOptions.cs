namespace Migration.VmaAgent.Configuration;

/// <summary>
/// The nbdkit export of each snapshot disk when <c>Vma:VSphere:DiskReader=Nbd</c> (section <c>Vma:VSphere:Nbd</c>): one
/// nbdkit process per disk per job, on a unix socket, stopped by its pid when the job lets go of the snapshot.
/// </summary>
public sealed class VSphereNbdOptions
{
    /// <summary>
    /// <c>vddk</c> (production: VMware's VDDK reads the snapshot through ESXi) or <c>file</c> (nbdkit's file plugin over
    /// the disk file in a datastore mounted on this machine, see <see cref="DatastoreRoots"/>: the simulator's tests). Default vddk.
    /// </summary>
    public string Plugin { get; set; } = "vddk";

    /// <summary>The nbdkit program. Default <c>nbdkit</c>.</summary>
    public string Nbdkit { get; set; } = "nbdkit";

    /// <summary>Where the sockets (and a password file when the password is not a file already) live. Default the temporary directory.</summary>
    public string? SocketDirectory { get; set; }

    /// <summary>Longest wait for nbdkit to listen (VDDK logs in to vCenter and opens the disk first). Default 60 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>vddk: the VDDK directory (<c>libdir=</c>), e.g. <c>/opt/vmware-vix-disklib-distrib</c>. Required with vddk.</summary>
    public string? LibDir { get; set; }

    /// <summary>vddk: the host VDDK logs in to (<c>server=</c>). Default the host of <c>Vma:VSphere:Url</c>.</summary>
    public string? Server { get; set; }

    /// <summary>vddk: SHA-1 thumbprint of that server's certificate (<c>thumbprint=</c>). Default <c>Vma:VSphere:Thumbprint</c> when it is a SHA-1 one.</summary>
    public string? Thumbprint { get; set; }

    /// <summary>vddk: the transport modes to try, in order (<c>transports=</c>). Default <c>nbdssl:nbd</c> (the VMA is not on an ESXi host).</summary>
    public string Transports { get; set; } = "nbdssl:nbd";

    /// <summary>nbdkit filters put in front of the plugin (<c>--filter=</c>), e.g. <c>blocksize</c>. Default none.</summary>
    public List<string> Filters { get; set; } = [];

    /// <summary>More <c>key=value</c> parameters for the plugin or its filters, e.g. <c>minblock=512</c>. Default none.</summary>
    public List<string> Parameters { get; set; } = [];

    /// <summary>file: the local folder of each datastore by name (<c>Vma__VSphere__Nbd__DatastoreRoots__LocalDS_0=/mnt/ds0</c>).</summary>
    public Dictionary<string, string> DatastoreRoots { get; set; } = new(StringComparer.Ordinal);
}
