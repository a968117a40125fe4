using System.Net;
using System.Net.Http.Headers;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// Reads a disk file through vCenter's datastore file service: <c>GET /folder/&lt;path&gt;?dcPath=&amp;dsName=</c>
/// with a <c>Range</c>, authenticated by the session cookie (a 401 logs in again once).
/// </summary>
public sealed class DatastoreFileReader(VimClient client) : ISnapshotDiskReader
{
    public string Kind => "Datastore";

    public ISourceDisk Open(string diskId, SnapshotDiskLocation location) => new Disk(client, diskId, location, FolderUri(client.SdkUrl, location));

    public ValueTask<ISourceDisk> OpenAsync(string diskId, SnapshotDiskLocation location, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Open(diskId, location));

    /// <summary><c>[ds] dir/file.vmdk</c> → <c>https://host/folder/dir/file.vmdk?dcPath=DC&amp;dsName=ds</c>.</summary>
    public static Uri FolderUri(Uri sdk, SnapshotDiskLocation location)
    {
        var path = location.FileName;
        var close = path.IndexOf(']', StringComparison.Ordinal);
        var relative = (close >= 0 ? path[(close + 1)..] : path).Trim();
        var escaped = string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));
        var builder = new UriBuilder(sdk)
        {
            Path = "/folder/" + escaped,
            Query = $"dcPath={Uri.EscapeDataString(location.DatacenterPath)}&dsName={Uri.EscapeDataString(location.DatastoreName)}",
        };
        return builder.Uri;
    }

    private sealed class Disk(VimClient client, string id, SnapshotDiskLocation location, Uri uri) : ISourceDisk
    {
        public string Id => id;

        public long CapacityBytes => location.CapacityBytes;

        public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (buffer.Length == 0)
            {
                return;
            }

            var generation = client.Generation;
            if (!await TryReadAsync(offset, buffer, cancellationToken))
            {
                await client.ReloginAsync(generation, "datastore read", location.FileName, cancellationToken);
                if (!await TryReadAsync(offset, buffer, cancellationToken))
                {
                    throw new VimUnavailableException($"the datastore file service refused {location.FileName} even after logging in again");
                }
            }
        }

        /// <summary>False when the session was not accepted (401/403); throws for anything else that is not the exact range.</summary>
        private async Task<bool> TryReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(client.CallTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Range = new RangeHeaderValue(offset, offset + buffer.Length - 1);
            try
            {
                using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    return false;
                }

                if (response.StatusCode != HttpStatusCode.PartialContent)
                {
                    throw new VimUnavailableException(
                        $"the datastore file service answered {(int)response.StatusCode} for {buffer.Length} bytes at {offset} of {location.FileName} (expected 206)");
                }

                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                await body.ReadExactlyAsync(buffer, timeout.Token);
                return true;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new VimUnavailableException($"the datastore file service did not send {buffer.Length} bytes at {offset} of {location.FileName} within {client.CallTimeout}");
            }
            catch (HttpRequestException ex)
            {
                throw new VimUnavailableException($"the datastore file service could not be reached for {location.FileName}: {ex.Message}", ex);
            }
            catch (EndOfStreamException)
            {
                throw new VimUnavailableException($"the datastore file service sent fewer than {buffer.Length} bytes at {offset} of {location.FileName}");
            }
        }
    }
}
