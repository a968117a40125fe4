using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Migration.Tests.Support;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>The vim25 client against the simulator: certificate checks, and CBT paging against the journal.</summary>
public sealed class ClientTests : IAsyncLifetime
{
    private VcSim _sim = null!;

    public async Task InitializeAsync() => _sim = await VcSim.StartAsync("-max-areas", "2");

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    [Fact]
    public async Task A_pinned_SHA256_or_SHA1_thumbprint_or_the_CA_bundle_is_trusted()
    {
        foreach (var policy in new[]
                 {
                     new VimCertificatePolicy(_sim.ThumbprintSha256, null, false),
                     new VimCertificatePolicy(_sim.ThumbprintSha1, null, false),
                     new VimCertificatePolicy(_sim.ThumbprintSha1.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant(), null, false),
                     new VimCertificatePolicy(null, _sim.CaFile, false),
                 })
        {
            await using var client = Client(_sim, policy);
            var content = await client.ContentAsync(default);
            Assert.Equal("SessionManager", content.SessionManager.Type);
        }
    }

    [Fact]
    public async Task Another_thumbprint_or_the_system_trust_store_refuses_the_certificate_clearly()
    {
        var wrong = string.Join(':', Enumerable.Repeat("AB", 32));
        foreach (var policy in new[] { new VimCertificatePolicy(wrong, null, false), new VimCertificatePolicy(null, null, false) })
        {
            await using var client = Client(_sim, policy);
            var error = await Assert.ThrowsAsync<VimUnavailableException>(() => client.ContentAsync(default));
            Assert.Contains(_sim.SdkUrl.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Insecure_accepts_the_certificate_only_because_it_was_asked_to()
    {
        var policy = new VimCertificatePolicy(null, null, insecure: true);
        Assert.Contains("NOT CHECKED", policy.Describe(), StringComparison.Ordinal);
        await using var client = Client(_sim, policy);
        Assert.NotNull(await client.ContentAsync(default));
    }

    [Fact]
    public async Task QueryChangedDiskAreas_paged_two_areas_at_a_time_returns_exactly_the_journals_areas()
    {
        const string vmName = "DC0_H0_VM0";
        var vm = await _sim.VmAsync(vmName);
        var disk = vm.Disks[0];
        // Ten separate blocks in the hole between the initial extents (0-1 MiB and 4-5 MiB): twelve areas in all.
        for (var i = 0; i < 10; i++)
        {
            await _sim.WriteAsync(vmName, disk.Key, (1 << 20) + 131072 + (long)i * 262144 + 4096, VcSim.Pattern(5000, i));
        }

        await using var client = Client(_sim);
        var api = Api(client);
        var vmRef = new MoRef("VirtualMachine", vm.Moref);
        var snapshot = await api.CreateSnapshotAsync(vmRef, "paging", "", false, default);
        var calls = 0;
        var areas = await ChangedAreaPager.ReadAllAsync(disk.Capacity, (offset, ct) =>
        {
            calls++;
            return api.QueryChangedDiskAreasAsync(vmRef, snapshot, disk.Key, offset, "*", ct);
        }, default);
        await api.RemoveSnapshotAsync(snapshot, default);

        var journal = await _sim.AreasAsync(vmName, disk.Key, "*");
        Assert.Equal(journal.Areas.Select(a => new DiskArea(a[0], a[1])), areas);
        Assert.Equal(12, journal.Areas.Count);
        Assert.Equal((journal.Areas.Count + 1) / 2, calls);
        Assert.Empty(await _sim.SnapshotsAsync(vmName));
    }

    [Fact]
    public async Task A_retrieval_larger_than_maxObjects_is_read_page_by_page_through_ContinueRetrievePropertiesEx()
    {
        await using var client = Client(_sim);
        var paged = new VimApi(client, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), maxObjects: 1);
        var before = await _sim.CallsAsync();

        var vms = await paged.ListVmsAsync(default);

        var after = await _sim.CallsAsync();
        var expected = await _sim.VmsAsync();
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected.Select(v => (v.Moref, v.Name)).Order(), vms.Select(v => (v.Ref.Value, v.Name)).Order());
        Assert.All(vms, v => Assert.Equal(2, v.Disks.Count));
        Assert.Equal(3, after.GetValueOrDefault("ContinueRetrievePropertiesEx") - before.GetValueOrDefault("ContinueRetrievePropertiesEx"));
        Assert.Equal(1, after["RetrievePropertiesEx"] - before.GetValueOrDefault("RetrievePropertiesEx"));

        // One page of 100 holds them all: no continuation.
        var whole = await Api(client).ListVmsAsync(default);
        Assert.Equal(4, whole.Count);
        Assert.Equal(after["ContinueRetrievePropertiesEx"], (await _sim.CallsAsync())["ContinueRetrievePropertiesEx"]);
    }

    internal static VimClient Client(VcSim sim, VimCertificatePolicy? policy = null)
    {
        policy ??= new VimCertificatePolicy(sim.ThumbprintSha256, null, false);
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = { RemoteCertificateValidationCallback = (_, c, ch, e) => policy.Validate(c, ch, e) },
        };
        return new VimClient(handler, sim.SdkUrl, VcSim.Username, () => VcSim.Password, TimeSpan.FromSeconds(20), NullLogger.Instance);
    }

    internal static VimApi Api(VimClient client) => new(client, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
}
