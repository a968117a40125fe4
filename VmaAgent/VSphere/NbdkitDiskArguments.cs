using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// The nbdkit command line that exports one snapshot disk (after nbdkit's own <c>--foreground --unix=</c>). The
/// password never appears in it (anyone can read a process's argv): the vddk plugin gets <c>password=+FILE</c>.
/// </summary>
public static class NbdkitDiskArguments
{
    /// <summary>vddk: <c>-r vddk libdir= server= user= password=+FILE thumbprint= vm=moref= snapshot= transports= file=</c>.</summary>
    public static IReadOnlyList<string> Vddk(VSphereOptions options, SnapshotDiskLocation location, string passwordFile)
    {
        var nbd = options.Nbd;
        return
        [
            "-r", .. Filters(nbd), "vddk",
            "libdir=" + nbd.LibDir,
            "server=" + VddkServer(options),
            "user=" + options.Username,
            "password=+" + passwordFile,
            "thumbprint=" + VddkThumbprint(options),
            "vm=moref=" + location.VmMoref,
            "snapshot=" + location.SnapshotMoref,
            "transports=" + nbd.Transports,
            "file=" + location.FileName,
            .. nbd.Parameters,
        ];
    }

    /// <summary>file: <c>-r file file=LOCAL</c>, the disk file found under its datastore's local folder.</summary>
    public static IReadOnlyList<string> File(VSphereOptions options, SnapshotDiskLocation location) =>
        ["-r", .. Filters(options.Nbd), "file", "file=" + LocalPath(options.Nbd, location), .. options.Nbd.Parameters];

    /// <summary><c>[ds] dir/disk.vmdk</c> under the folder configured for <c>ds</c>; never outside it.</summary>
    public static string LocalPath(VSphereNbdOptions nbd, SnapshotDiskLocation location)
    {
        var name = location.FileName;
        var close = name.IndexOf(']', StringComparison.Ordinal);
        if (!name.StartsWith('[') || close < 0)
        {
            throw new FormatException($"disk file name '{name}' is not of the form [datastore] path");
        }

        var datastore = name[1..close];
        if (!nbd.DatastoreRoots.TryGetValue(datastore, out var root))
        {
            throw new FormatException($"datastore '{datastore}' of {name} has no local folder in Vma:VSphere:Nbd:DatastoreRoots");
        }

        var top = Path.GetFullPath(root);
        var path = Path.GetFullPath(Path.Combine(top, name[(close + 1)..].Trim()));
        return path.StartsWith(Path.TrimEndingDirectorySeparator(top) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new FormatException($"disk file name '{name}' leads out of datastore folder {top}");
    }

    /// <summary>The SHA-1 thumbprint VDDK checks: <c>Nbd:Thumbprint</c>, else <c>Thumbprint</c> when it is SHA-1; colon-separated.</summary>
    public static string? VddkThumbprint(VSphereOptions options)
    {
        foreach (var given in (string?[])[options.Nbd.Thumbprint, options.Thumbprint])
        {
            var hex = given?.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            if (hex is { Length: 40 } && hex.All(char.IsAsciiHexDigit))
            {
                return string.Join(':', hex.ToUpperInvariant().Chunk(2).Select(pair => new string(pair)));
            }
        }

        return null;
    }

    private static string VddkServer(VSphereOptions options) =>
        string.IsNullOrWhiteSpace(options.Nbd.Server) ? new Uri(options.Url!).Host : options.Nbd.Server;

    private static IEnumerable<string> Filters(VSphereNbdOptions nbd) => nbd.Filters.Select(f => "--filter=" + f);
}
