using System.Security.Cryptography.X509Certificates;

namespace Migration.Contracts.Tls;

/// <summary>
/// A PEM certificate and its private key on disk, read again whenever either file changes (size or last write time),
/// so a rotated certificate is used by the next TLS handshake without a restart.
/// </summary>
/// <remarks>
/// Kubernetes updates a mounted secret by swapping a symlink; the time stamp of the file behind the link changes,
/// which is what is compared. A half-written pair (certificate and key not matching yet) keeps the previous
/// certificate in use and is tried again on the next handshake.
/// </remarks>
public sealed class PemCertificateFile
{
    private readonly Lock _gate = new();
    private readonly Action<string>? _onReloadFailed;
    private (FileStamp Certificate, FileStamp Key) _stamps;
    private X509Certificate2 _current;

    /// <summary>Reads both files now; a missing or unreadable file is an error at start-up, naming the path.</summary>
    public PemCertificateFile(string certificatePath, string keyPath, Action<string>? onReloadFailed = null)
    {
        CertificatePath = certificatePath;
        KeyPath = keyPath;
        _onReloadFailed = onReloadFailed;
        _stamps = (FileStamp.Of(certificatePath), FileStamp.Of(keyPath));
        _current = Load(certificatePath, keyPath);
    }

    public string CertificatePath { get; }

    public string KeyPath { get; }

    /// <summary>The certificate to present now (read again first if a file changed since the last call).</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                var stamps = (FileStamp.Of(CertificatePath), FileStamp.Of(KeyPath));
                if (stamps != _stamps)
                {
                    try
                    {
                        _current = Load(CertificatePath, KeyPath);
                        _stamps = stamps;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
                    {
                        _onReloadFailed?.Invoke($"{CertificatePath}: {ex.Message}; the previous certificate stays in use");
                    }
                }

                return _current;
            }
        }
    }

    private static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new System.Security.Cryptography.CryptographicException(
                $"cannot read the certificate {certificatePath} with the key {keyPath}: {ex.Message}", ex);
        }
    }
}
