using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Migration.Contracts.Vma;
using Migration.Tests.Support;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>Discover against the simulator: one VM found by name, by moref (a property retrieval) and by instance uuid (<c>SearchIndex.FindByUuid</c>).</summary>
public sealed class DiscoverTests
{
    [Fact]
    public async Task A_vm_is_found_alike_by_name_moref_and_instance_uuid_with_its_disks_and_an_unknown_one_is_not_found()
    {
        await using var sim = await VcSim.StartAsync();
        var expected = await sim.VmAsync("DC0_C0_RP0_VM1");
        var settings = sim.VmaSettings();
        var options = new VmaOptions
        {
            Source = VmaSourceKind.VSphere,
            VSphere = new VSphereOptions
            {
                Url = settings["Vma:VSphere:Url"],
                Username = settings["Vma:VSphere:Username"],
                Password = settings["Vma:VSphere:Password"],
                Thumbprint = settings["Vma:VSphere:Thumbprint"],
                CallTimeout = TimeSpan.FromSeconds(20),
            },
        };
        await using var source = new VSphereSource(Options.Create(options), TimeProvider.System, NullLoggerFactory.Instance);

        var byName = await source.FindVmAsync(new VmReference { Name = expected.Name }, default);
        var byMoref = await source.FindVmAsync(new VmReference { Moref = expected.Moref }, default);
        var byUuid = await source.FindVmAsync(new VmReference { Uuid = expected.InstanceUuid }, default);

        foreach (var found in new[] { byName, byMoref, byUuid })
        {
            Assert.NotNull(found);
            Assert.Equal((expected.Name, expected.Moref, expected.InstanceUuid), (found.Name, found.Moref, found.Uuid));
            Assert.Equal(expected.Disks.Select(d => (d.Id, d.Label, d.Capacity, d.Key)), found.Disks.Select(d => (d.Id, d.Label, d.CapacityBytes, d.DeviceKey)));
        }

        Assert.Null(await source.FindVmAsync(new VmReference { Moref = "vm-999999" }, default));
        Assert.Null(await source.FindVmAsync(new VmReference { Uuid = "00000000-0000-0000-0000-000000000000" }, default));
        Assert.Null(await source.FindVmAsync(new VmReference { Name = "no-such-vm" }, default));
    }
}
