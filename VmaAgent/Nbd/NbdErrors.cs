namespace Migration.VmaAgent.Nbd;

/// <summary>Names for the errno values NBD servers send, so an error says "ENOSPC (no space left)" rather than "28".</summary>
internal static class NbdErrors
{
    public static string Describe(uint errno) => errno switch
    {
        1 => "EPERM (operation not permitted)",
        5 => "EIO (input/output error)",
        12 => "ENOMEM (out of memory)",
        22 => "EINVAL (invalid argument)",
        28 => "ENOSPC (no space left on device)",
        75 => "EOVERFLOW (value too large)",
        95 => "ENOTSUP (operation not supported)",
        108 => "ESHUTDOWN (server is shutting down)",
        _ => $"error {errno}",
    };

    public static string DescribeOptionError(uint reply) => (reply & ~NbdProtocol.RepErrorBit) switch
    {
        1 => "unsupported option",
        2 => "forbidden by the server's policy",
        3 => "invalid",
        4 => "not supported on this platform",
        5 => "TLS required",
        6 => "no such export",
        7 => "server shutting down",
        8 => "block size negotiation required",
        9 => "request too big",
        var other => $"error {other}",
    };
}
