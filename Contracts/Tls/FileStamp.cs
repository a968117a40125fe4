namespace Migration.Contracts.Tls;

/// <summary>What tells a changed file from an unchanged one without reading it: length and last write time.</summary>
public readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : default;
    }
}
