using System.Security.Cryptography.X509Certificates;

namespace Migration.Contracts.Tls;

/// <summary>A PEM file of CA certificates (one or more), read again whenever it changes, like <see cref="PemCertificateFile"/>.</summary>
public sealed class PemCertificateBundleFile
{
    private readonly Lock _gate = new();
    private readonly Action<string>? _onReloadFailed;
    private FileStamp _stamp;
    private X509Certificate2Collection _current;

    public PemCertificateBundleFile(string path, Action<string>? onReloadFailed = null)
    {
        Path = path;
        _onReloadFailed = onReloadFailed;
        _stamp = FileStamp.Of(path);
        _current = Load(path);
    }

    public string Path { get; }

    public X509Certificate2Collection Current
    {
        get
        {
            lock (_gate)
            {
                var stamp = FileStamp.Of(Path);
                if (stamp != _stamp)
                {
                    try
                    {
                        _current = Load(Path);
                        _stamp = stamp;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
                    {
                        _onReloadFailed?.Invoke($"{Path}: {ex.Message}; the previous CA bundle stays in use");
                    }
                }

                return _current;
            }
        }
    }

    private static X509Certificate2Collection Load(string path)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(path);
        if (bundle.Count == 0)
        {
            throw new System.Security.Cryptography.CryptographicException($"{path} holds no PEM certificate");
        }

        return bundle;
    }
}
