using System.Text.RegularExpressions;
using k8s.Models;

namespace Migration.Tests.Deploy.Manifests;

/// <summary>
/// Rules every rendering of the manifests keeps. Each returns the violations it found (empty when all hold), so a
/// failing test lists every problem at once.
/// </summary>
public static partial class ManifestInvariants
{
    public const string OwnRegistry = "registry.example.com/migration/";

    public static IEnumerable<V1Container> Containers(Workload w) => (w.Pod.InitContainers ?? []).Concat(w.Pod.Containers);

    public static bool IsOwnImage(V1Container c) => c.Image.StartsWith(OwnRegistry, StringComparison.Ordinal);

    /// <summary>Every image is pinned to a tag (never latest); each of ours is built by a Dockerfile in deploy/images for a project that exists.</summary>
    public static IEnumerable<string> Images(ManifestSet set, string imagesDirectory, string repositoryRoot)
    {
        foreach (var w in Workload.In(set))
        {
            foreach (var c in Containers(w))
            {
                var tagAt = c.Image.LastIndexOf(':');
                var tag = tagAt > c.Image.LastIndexOf('/') ? c.Image[(tagAt + 1)..] : "";
                if (tag is "" or "latest")
                {
                    yield return $"{w.Name}: image {c.Image} is not pinned to a tag";
                }

                if (!IsOwnImage(c))
                {
                    continue;
                }

                var repository = tagAt > 0 ? c.Image[OwnRegistry.Length..tagAt] : c.Image[OwnRegistry.Length..];
                var dockerfile = Path.Combine(imagesDirectory, $"{repository}.Dockerfile");
                if (!File.Exists(dockerfile))
                {
                    yield return $"{w.Name}: no {dockerfile} builds image {c.Image}";
                    continue;
                }

                var entry = EntryPointAssembly().Match(File.ReadAllText(dockerfile));
                var project = entry.Success ? entry.Groups["project"].Value : "";
                if (project == "" || !File.Exists(Path.Combine(repositoryRoot, project, $"{project}.csproj")))
                {
                    yield return $"{dockerfile}: its ENTRYPOINT does not name a project of the repository";
                }
            }
        }
    }

    /// <summary>Our hosts: startup and liveness on /health/live, readiness on /health/ready, each on a declared port. Others: all three probes.</summary>
    public static IEnumerable<string> Probes(ManifestSet set)
    {
        foreach (var w in Workload.In(set))
        {
            foreach (var c in w.Pod.Containers)
            {
                var probes = new[] { ("startup", c.StartupProbe, "/health/live"), ("liveness", c.LivenessProbe, "/health/live"), ("readiness", c.ReadinessProbe, "/health/ready") };
                foreach (var (kind, probe, path) in probes)
                {
                    if (probe is null)
                    {
                        yield return $"{w.Name}/{c.Name}: no {kind} probe";
                    }
                    else if (IsOwnImage(c))
                    {
                        if (probe.HttpGet?.Path != path)
                        {
                            yield return $"{w.Name}/{c.Name}: {kind} probe is not GET {path}";
                        }
                        else if (!HasPort(c, probe.HttpGet.Port))
                        {
                            yield return $"{w.Name}/{c.Name}: {kind} probe port {probe.HttpGet.Port} is not a container port";
                        }
                    }
                }
            }
        }
    }

    /// <summary>Every Service selects a workload and every target port is a port of that workload's container.</summary>
    public static IEnumerable<string> ServicePorts(ManifestSet set)
    {
        var workloads = Workload.In(set).ToList();
        foreach (var service in set.OfKind<V1Service>())
        {
            var selector = new V1LabelSelector { MatchLabels = service.Spec.Selector };
            var selected = workloads.Where(w => Workload.Matches(selector, w.PodLabels)).ToList();
            if (selected.Count == 0)
            {
                yield return $"Service/{service.Metadata.Name} selects no workload";
                continue;
            }

            foreach (var port in service.Spec.Ports)
            {
                IntOrString target = port.TargetPort ?? (IntOrString)port.Port;
                foreach (var w in selected.Where(w => !w.Pod.Containers.Any(c => HasPort(c, target))))
                {
                    yield return $"Service/{service.Metadata.Name} port {port.Port} targets {target}, which {w.Name} does not expose";
                }
            }
        }
    }

    /// <summary>Every Secret and ConfigMap a pod, a KEDA authentication or an Issuer names is made by this kustomization.</summary>
    public static IEnumerable<string> References(ManifestSet set)
    {
        var secrets = set.OfKind<V1Secret>().Select(s => s.Metadata.Name)
            .Concat(set.GeneratedSecrets)
            .Concat(set.OfKind<Certificate>().Select(c => c.Spec.SecretName))
            .Concat(set.OfKind<ExternalSecret>().Select(e => e.Spec.Target.Name))
            .ToHashSet();
        var configMaps = set.OfKind<V1ConfigMap>().Select(c => c.Metadata.Name).Concat(set.GeneratedConfigMaps).ToHashSet();

        foreach (var w in Workload.In(set))
        {
            foreach (var c in Containers(w))
            {
                foreach (var from in c.EnvFrom ?? [])
                {
                    if (from.SecretRef is { } s && !secrets.Contains(s.Name))
                    {
                        yield return $"{w.Name}: envFrom Secret {s.Name} is not made by the kustomization";
                    }

                    if (from.ConfigMapRef is { } m && !configMaps.Contains(m.Name))
                    {
                        yield return $"{w.Name}: envFrom ConfigMap {m.Name} is not made by the kustomization";
                    }
                }

                foreach (var env in c.Env ?? [])
                {
                    if (env.ValueFrom?.SecretKeyRef is { } s && !secrets.Contains(s.Name))
                    {
                        yield return $"{w.Name}: env {env.Name} reads Secret {s.Name}, which is not made by the kustomization";
                    }

                    if (env.ValueFrom?.ConfigMapKeyRef is { } m && !configMaps.Contains(m.Name))
                    {
                        yield return $"{w.Name}: env {env.Name} reads ConfigMap {m.Name}, which is not made by the kustomization";
                    }
                }
            }

            foreach (var volume in w.Pod.Volumes ?? [])
            {
                if (volume.Secret is { } s && !secrets.Contains(s.SecretName))
                {
                    yield return $"{w.Name}: volume {volume.Name} mounts Secret {s.SecretName}, which is not made by the kustomization";
                }

                if (volume.ConfigMap is { } m && !configMaps.Contains(m.Name))
                {
                    yield return $"{w.Name}: volume {volume.Name} mounts ConfigMap {m.Name}, which is not made by the kustomization";
                }
            }
        }

        foreach (var auth in set.OfKind<TriggerAuthentication>())
        {
            foreach (var r in auth.Spec.SecretTargetRef.Where(r => !secrets.Contains(r.Name)))
            {
                yield return $"TriggerAuthentication/{auth.Metadata.Name} reads Secret {r.Name}, which is not made by the kustomization";
            }
        }

        foreach (var issuer in set.OfKind<Issuer>())
        {
            if (issuer.Spec.Ca is { } ca && !secrets.Contains(ca.SecretName))
            {
                yield return $"Issuer/{issuer.Metadata.Name} signs with Secret {ca.SecretName}, which is not made by the kustomization";
            }
        }

        var issuers = set.OfKind<Issuer>().Select(i => i.Metadata.Name).ToHashSet();
        foreach (var certificate in set.OfKind<Certificate>().Where(c => !issuers.Contains(c.Spec.IssuerRef.Name)))
        {
            yield return $"Certificate/{certificate.Metadata.Name} asks Issuer {certificate.Spec.IssuerRef.Name}, which is not defined";
        }
    }

    /// <summary>Non-root, read-only root file system, no privilege escalation, no capabilities, requests and limits.</summary>
    public static IEnumerable<string> SecurityAndResources(ManifestSet set)
    {
        foreach (var w in Workload.In(set))
        {
            var pod = w.Pod.SecurityContext;
            if (pod?.RunAsNonRoot != true || pod.RunAsUser is null or 0)
            {
                yield return $"{w.Name}: the pod does not run as a non-root user";
            }

            if (pod?.SeccompProfile?.Type != "RuntimeDefault")
            {
                yield return $"{w.Name}: the pod has no RuntimeDefault seccomp profile";
            }

            foreach (var c in Containers(w))
            {
                var sc = c.SecurityContext;
                if (sc?.ReadOnlyRootFilesystem != true)
                {
                    yield return $"{w.Name}/{c.Name}: the root file system is writable";
                }

                if (sc?.AllowPrivilegeEscalation != false)
                {
                    yield return $"{w.Name}/{c.Name}: privilege escalation is allowed";
                }

                if (sc?.Capabilities?.Drop?.Contains("ALL") != true)
                {
                    yield return $"{w.Name}/{c.Name}: capabilities are not dropped";
                }

                foreach (var resource in new[] { "cpu", "memory" })
                {
                    if (c.Resources?.Requests?.ContainsKey(resource) != true || c.Resources?.Limits?.ContainsKey(resource) != true)
                    {
                        yield return $"{w.Name}/{c.Name}: no {resource} request and limit";
                    }
                }
            }
        }
    }

    /// <summary>Each workload has a PodDisruptionBudget that selects its pods (the dev StatefulSets excepted: one replica, throwaway).</summary>
    public static IEnumerable<string> DisruptionBudgets(ManifestSet set)
    {
        var budgets = set.OfKind<V1PodDisruptionBudget>().ToList();
        foreach (var w in Workload.In(set).Where(w => w.Pod.Containers.Any(IsOwnImage)))
        {
            if (!budgets.Any(b => Workload.Matches(b.Spec.Selector, w.PodLabels)))
            {
                yield return $"{w.Name}: no PodDisruptionBudget selects its pods";
            }
        }
    }

    /// <summary>The workloads whose pods a NetworkPolicy lets reach <paramref name="target"/>'s pods on <paramref name="port"/>.</summary>
    public static IReadOnlySet<string> AdmittedWorkloads(ManifestSet set, Workload target, int port, out IReadOnlyList<string> namespaces)
    {
        var workloads = Workload.In(set).ToList();
        var admitted = new HashSet<string>();
        var fromNamespaces = new List<string>();
        foreach (var policy in set.OfKind<V1NetworkPolicy>().Where(p => Workload.Matches(p.Spec.PodSelector, target.PodLabels)))
        {
            foreach (var rule in policy.Spec.Ingress ?? [])
            {
                if (rule.Ports is { Count: > 0 } && !rule.Ports.Any(p => p.Port?.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                {
                    continue;
                }

                if (rule.FromProperty is null or { Count: 0 })
                {
                    admitted.Add("*");
                    continue;
                }

                foreach (var peer in rule.FromProperty)
                {
                    if (peer.NamespaceSelector is { } ns)
                    {
                        fromNamespaces.Add(string.Join(",", (ns.MatchLabels ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}")));
                    }
                    else if (peer.PodSelector is { } pods)
                    {
                        admitted.UnionWith(workloads.Where(w => Workload.Matches(pods, w.PodLabels)).Select(w => w.Name));
                    }
                    else
                    {
                        admitted.Add("*");
                    }
                }
            }
        }

        namespaces = fromNamespaces;
        return admitted;
    }

    private static bool HasPort(V1Container c, IntOrString port) =>
        (c.Ports ?? []).Any(p => p.Name == port.Value || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == port.Value);

    [GeneratedRegex("""ENTRYPOINT\s*\[\s*"dotnet"\s*,\s*"(?<project>[A-Za-z.]+)\.dll"\s*\]""")]
    private static partial Regex EntryPointAssembly();
}
