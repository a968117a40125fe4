namespace Migration.VmaAgent.Nbd;

/// <summary>
/// Serving snapshot disks through nbdkit and reading them back over NBD (section <c>Vma:SourceExports</c>): the
/// production shape (nbdkit's vddk plugin in front of ESXi) with the simulated source, so the whole data path is NBD.
/// </summary>
public sealed class NbdSourceExportOptions
{
    /// <summary>Read every snapshot disk through an nbdkit export instead of in-process. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the materialised snapshot images and sockets live while a job runs. Default <c>data/source-exports</c>.</summary>
    public string Directory { get; set; } = "data/source-exports";

    /// <summary>The nbdkit program. Default <c>nbdkit</c> (Debian package nbdkit).</summary>
    public string Nbdkit { get; set; } = "nbdkit";
}
