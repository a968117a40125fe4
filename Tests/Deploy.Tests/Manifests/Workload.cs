using k8s;
using k8s.Models;

namespace Migration.Tests.Deploy.Manifests;

/// <summary>A Deployment or StatefulSet, seen through what the invariants ask of both: its pod template.</summary>
public sealed record Workload(IKubernetesObject<V1ObjectMeta> Owner, V1PodTemplateSpec Template, V1LabelSelector Selector, int? Replicas)
{
    public string Name => $"{Owner.Kind}/{Owner.Metadata.Name}";

    public IDictionary<string, string> PodLabels => Template.Metadata?.Labels ?? new Dictionary<string, string>();

    public V1PodSpec Pod => Template.Spec;

    public static IEnumerable<Workload> In(ManifestSet set) =>
        set.OfKind<V1Deployment>().Select(d => new Workload(d, d.Spec.Template, d.Spec.Selector, d.Spec.Replicas))
            .Concat(set.OfKind<V1StatefulSet>().Select(s => new Workload(s, s.Spec.Template, s.Spec.Selector, s.Spec.Replicas)));

    /// <summary>Only matchLabels is used in these manifests; a selector with expressions is refused, not guessed at.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        if (selector.MatchExpressions is { Count: > 0 })
        {
            throw new NotSupportedException("matchExpressions are not evaluated by these tests");
        }

        return (selector.MatchLabels ?? new Dictionary<string, string>())
            .All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
    }
}
