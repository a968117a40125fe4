using k8s.Models;
using Migration.Tests.Deploy.Manifests;

namespace Migration.Tests.Deploy;

/// <summary>The Kubernetes manifests as files: each parses strictly and the overlays' objects keep the invariants.</summary>
public sealed class ManifestTests
{
    public static TheoryData<string> Overlays => new() { "dev", "prod" };

    public static TheoryData<string> ManifestFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.K8s, "*.yaml", SearchOption.AllDirectories).Order())
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.K8s, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Every_manifest_file_parses_strictly_into_the_Kubernetes_object_models(string file)
    {
        var path = Path.Combine(RepositoryPaths.K8s, file);
        if (Path.GetFileName(path) == "kustomization.yaml")
        {
            var kustomization = ManifestSet.ReadKustomization(Path.GetDirectoryName(path)!);
            Assert.Equal("Kustomization", kustomization.Kind);
            Assert.Equal("migration", kustomization.Namespace);
            return;
        }

        var objects = ManifestSet.Parse(File.ReadAllText(path));
        Assert.NotEmpty(objects);
        Assert.All(objects, o => Assert.False(string.IsNullOrEmpty(o.Metadata?.Name), $"{o.Kind} in {file} has no name"));
    }

    [Fact]
    public void Every_manifest_file_is_part_of_a_kustomization_except_the_secret_example()
    {
        var listed = new HashSet<string>();
        foreach (var kustomizationFile in Directory.EnumerateFiles(RepositoryPaths.K8s, "kustomization.yaml", SearchOption.AllDirectories))
        {
            var directory = Path.GetDirectoryName(kustomizationFile)!;
            listed.Add(kustomizationFile);
            foreach (var resource in ManifestSet.ReadKustomization(directory).Resources)
            {
                listed.Add(Path.GetFullPath(Path.Combine(directory, resource)));
            }
        }

        var orphans = Directory.EnumerateFiles(RepositoryPaths.K8s, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !listed.Contains(f) && Path.GetFileName(f) != "secret.example.yaml");
        Assert.Empty(orphans);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_keeps_every_invariant(string overlay)
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay(overlay));
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
    [MemberData(nameof(Overlays))]
    public void Every_host_has_an_image_and_the_VMA_is_served_on_443_with_its_TLS_secret(string overlay)
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay(overlay));
        var images = Workload.In(set).SelectMany(ManifestInvariants.Containers).Where(ManifestInvariants.IsOwnImage)
            .Select(c => c.Image[ManifestInvariants.OwnRegistry.Length..c.Image.LastIndexOf(':')]).ToHashSet();
        Assert.Equal(new HashSet<string> { "vma-agent", "oma-workers", "scheduler" }, images);

        var vma = Assert.Single(Workload.In(set), w => w.PodLabels.TryGetValue("app.kubernetes.io/name", out var n) && n == "vma");
        var service = Assert.Single(set.OfKind<V1Service>(), s => s.Metadata.Name == vma.Owner.Metadata.Name);
        var https = Assert.Single(service.Spec.Ports);
        Assert.Equal(443, https.Port);
        Assert.Equal("https", https.TargetPort.Value);

        var tls = Assert.Single(vma.Pod.Volumes, v => v.Name == "tls");
        var certificate = Assert.Single(set.OfKind<Certificate>(), c => c.Spec.SecretName == tls.Secret.SecretName);
        Assert.Contains("server auth", certificate.Spec.Usages);
        Assert.Contains($"{service.Metadata.Name}.migration.svc", certificate.Spec.DnsNames);

        var config = Assert.Single(set.OfKind<V1ConfigMap>(), c => c.Metadata.Name == $"{vma.Owner.Metadata.Name}-config").Data;
        Assert.Equal("https://0.0.0.0:8443", config["Kestrel__Endpoints__Https__Url"]);
        var mount = Assert.Single(vma.Pod.Containers[0].VolumeMounts, m => m.Name == "tls").MountPath;
        Assert.Equal($"{mount}/tls.crt", config["Kestrel__Endpoints__Https__Certificate__Path"]);
        Assert.Equal($"{mount}/tls.key", config["Kestrel__Endpoints__Https__Certificate__KeyPath"]);
        Assert.Equal($"{mount}/ca.crt", config["Vma__Tls__ClientCaPath"]);
        Assert.Equal("http://0.0.0.0:8080", config["Vma__Tls__HealthUrls"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Workers_scale_on_the_saga_queue_and_present_the_client_certificate(string overlay)
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay(overlay));
        var scaled = Assert.Single(set.OfKind<ScaledObject>());
        var workers = Assert.Single(set.OfKind<V1Deployment>(), d => d.Metadata.Name == scaled.Spec.ScaleTargetRef.Name);
        Assert.Null(workers.Spec.Replicas);
        var trigger = Assert.Single(scaled.Spec.Triggers);
        Assert.Equal("rabbitmq", trigger.Type);
        Assert.Equal("replication-state", trigger.Metadata["queueName"]);
        Assert.Equal("QueueLength", trigger.Metadata["mode"]);
        Assert.Contains(set.OfKind<TriggerAuthentication>(), a => a.Metadata.Name == trigger.AuthenticationRef!.Name);
        Assert.True(scaled.Spec.MinReplicaCount >= 2);

        var env = workers.Spec.Template.Spec.Containers[0].Env.ToDictionary(e => e.Name, e => e.Value);
        var volume = Assert.Single(workers.Spec.Template.Spec.Volumes, v => v.Secret is not null);
        var certificate = Assert.Single(set.OfKind<Certificate>(), c => c.Spec.SecretName == volume.Secret.SecretName);
        Assert.Contains("client auth", certificate.Spec.Usages);
        var mount = Assert.Single(workers.Spec.Template.Spec.Containers[0].VolumeMounts, m => m.Name == volume.Name).MountPath;
        Assert.Equal($"{mount}/tls.crt", env["VmaClient__ClientCertificate__Path"]);
        Assert.Equal($"{mount}/tls.key", env["VmaClient__ClientCertificate__KeyPath"]);
        Assert.Equal($"{mount}/ca.crt", env["VmaClient__TrustedCaPath"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_scheduler_runs_two_replicas_of_one_clustered_Quartz(string overlay)
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay(overlay));
        var scheduler = Assert.Single(set.OfKind<V1Deployment>(), d => d.Metadata.Name == "scheduler");
        Assert.Equal(2, scheduler.Spec.Replicas);
        var configName = Assert.Single(scheduler.Spec.Template.Spec.Containers[0].EnvFrom, e => e.ConfigMapRef is not null).ConfigMapRef.Name;
        var config = Assert.Single(set.OfKind<V1ConfigMap>(), c => c.Metadata.Name == configName).Data;
        Assert.Equal("AdoNet", config["Scheduler__Quartz__Store"]);
        Assert.Equal("true", config["Scheduler__Quartz__Clustered"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Only_the_workers_may_reach_the_VMA_and_nothing_else_is_open_by_default(string overlay)
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay(overlay));
        Assert.Contains(set.OfKind<V1NetworkPolicy>(), p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.Ingress is null);

        var vma = Assert.Single(Workload.In(set), w => w.Owner.Metadata.Name == "vma-site-a");
        var admitted = ManifestInvariants.AdmittedWorkloads(set, vma, 8443, out var namespaces);
        Assert.Equal(new HashSet<string> { "Deployment/oma-workers" }, admitted);
        Assert.Empty(namespaces);
    }

    [Fact]
    public void In_dev_only_the_hosts_and_KEDA_may_reach_RabbitMQ_and_only_the_hosts_PostgreSQL()
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay("dev"));
        var hosts = new HashSet<string> { "Deployment/oma-workers", "Deployment/scheduler" };

        var rabbit = Assert.Single(Workload.In(set), w => w.Owner.Metadata.Name == "rabbitmq");
        Assert.Equal(hosts, ManifestInvariants.AdmittedWorkloads(set, rabbit, 5672, out var rabbitNamespaces));
        Assert.Equal(["kubernetes.io/metadata.name=keda"], rabbitNamespaces);

        var postgres = Assert.Single(Workload.In(set), w => w.Owner.Metadata.Name == "postgres");
        Assert.Equal(hosts, ManifestInvariants.AdmittedWorkloads(set, postgres, 5432, out var postgresNamespaces));
        Assert.Empty(postgresNamespaces);
    }

    [Fact]
    public void In_prod_only_the_hosts_may_leave_for_the_broker_and_the_database()
    {
        var set = ManifestSet.Load(RepositoryPaths.Overlay("prod"));
        Assert.Empty(set.OfKind<V1StatefulSet>());
        Assert.Empty(set.OfKind<V1Secret>());

        foreach (var w in Workload.In(set))
        {
            var policies = set.OfKind<V1NetworkPolicy>()
                .Where(p => p.Spec.PolicyTypes.Contains("Egress") && Workload.Matches(p.Spec.PodSelector, w.PodLabels)).ToList();
            Assert.True(policies.Count > 0, $"{w.Name} has no egress policy");
            var ports = policies.SelectMany(p => p.Spec.Egress).SelectMany(r => r.Ports ?? []).Select(p => p.Port.Value).ToHashSet();
            var isHost = w.PodLabels.TryGetValue("migration.io/role", out var role) && role == "host";
            Assert.Equal(isHost, ports.Contains("5672"));
            Assert.Equal(isHost, ports.Contains("1433"));
        }
    }
}
