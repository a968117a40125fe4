using k8s.Models;
using Migration.Tests.Deploy.Manifests;

namespace Migration.Tests.Deploy;

/// <summary>What kustomize itself renders from each overlay: it parses strictly and keeps the same invariants.</summary>
public sealed class RenderingTests
{
    public static TheoryData<string> Overlays => new() { "dev", "prod" };

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Kubectl_kustomize_renders_the_overlay_and_the_result_keeps_every_invariant(string overlay)
    {
        var rendered = await ExternalTool.KustomizeAsync(RepositoryPaths.Overlay(overlay));
        var set = new ManifestSet(ManifestSet.Parse(rendered), [], []);

        Assert.All(set.Objects.Where(o => o.Kind != "Namespace"), o => Assert.Equal("migration", o.Metadata.NamespaceProperty));
        var violations = ManifestInvariants.Images(set, RepositoryPaths.Images, RepositoryPaths.Root)
            .Concat(ManifestInvariants.Probes(set))
            .Concat(ManifestInvariants.ServicePorts(set))
            .Concat(ManifestInvariants.References(set))
            .Concat(ManifestInvariants.SecurityAndResources(set))
            .Concat(ManifestInvariants.DisruptionBudgets(set))
            .ToList();
        Assert.Empty(violations);
    }

    [Theory]
    [InlineData("dev", "Postgres", "rabbitmq.migration.svc", "dev")]
    [InlineData("prod", "SqlServer", "rabbitmq.prod.example.com", "1.0.0")]
    public async Task The_overlay_patches_reach_the_rendered_configuration(string overlay, string provider, string broker, string tag)
    {
        var set = new ManifestSet(ManifestSet.Parse(await ExternalTool.KustomizeAsync(RepositoryPaths.Overlay(overlay))), [], []);
        var config = Assert.Single(set.OfKind<V1ConfigMap>(), c => c.Metadata.Name == "migration-config").Data;
        Assert.Equal(provider, config["Database__Provider"]);
        Assert.Equal(broker, config["Bus__RabbitMq__Host"]);
        Assert.All(
            Workload.In(set).SelectMany(ManifestInvariants.Containers).Where(ManifestInvariants.IsOwnImage),
            c => Assert.EndsWith($":{tag}", c.Image, StringComparison.Ordinal));
    }
}
