using k8s;
using k8s.Models;

namespace Migration.Tests.Deploy.Manifests;

/// <summary>
/// The objects of a kustomization (its resource files and directories, recursively) parsed strictly into the
/// Kubernetes object models, and the Secrets and ConfigMaps its generators make. Patches are not applied: the
/// rendering test checks kustomize's own output.
/// </summary>
public sealed class ManifestSet
{
    private static readonly Dictionary<string, Type> CustomTypes = new()
    {
        ["keda.sh/v1alpha1/ScaledObject"] = typeof(ScaledObject),
        ["keda.sh/v1alpha1/TriggerAuthentication"] = typeof(TriggerAuthentication),
        ["cert-manager.io/v1/Certificate"] = typeof(Certificate),
        ["cert-manager.io/v1/Issuer"] = typeof(Issuer),
        ["external-secrets.io/v1beta1/ExternalSecret"] = typeof(ExternalSecret),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRule),
    };

    public ManifestSet(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects, IReadOnlyList<string> generatedSecrets, IReadOnlyList<string> generatedConfigMaps)
    {
        Objects = objects;
        GeneratedSecrets = generatedSecrets;
        GeneratedConfigMaps = generatedConfigMaps;
    }

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects { get; }

    public IReadOnlyList<string> GeneratedSecrets { get; }

    public IReadOnlyList<string> GeneratedConfigMaps { get; }

    public IEnumerable<T> OfKind<T>() => Objects.OfType<T>();

    /// <summary>Every document of a YAML stream, each into its model type; an unknown kind or field throws.</summary>
    public static List<IKubernetesObject<V1ObjectMeta>> Parse(string yaml)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var item in KubernetesYaml.LoadAllFromString(yaml, CustomTypes, strict: true))
        {
            objects.Add(item as IKubernetesObject<V1ObjectMeta>
                ?? throw new InvalidDataException($"{item.GetType().Name} is not a Kubernetes object with metadata"));
        }

        return objects;
    }

    public static Kustomization ReadKustomization(string directory) =>
        KubernetesYaml.Deserialize<Kustomization>(File.ReadAllText(Path.Combine(directory, "kustomization.yaml")), strict: true);

    public static ManifestSet Load(string directory)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        var secrets = new List<string>();
        var configMaps = new List<string>();
        Collect(Path.GetFullPath(directory), objects, secrets, configMaps);
        return new ManifestSet(objects, secrets, configMaps);
    }

    private static void Collect(string directory, List<IKubernetesObject<V1ObjectMeta>> objects, List<string> secrets, List<string> configMaps)
    {
        var kustomization = ReadKustomization(directory);
        foreach (var resource in kustomization.Resources)
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path))
            {
                Collect(path, objects, secrets, configMaps);
            }
            else
            {
                objects.AddRange(Parse(File.ReadAllText(path)));
            }
        }

        secrets.AddRange(kustomization.SecretGenerator.Select(g => g.Name));
        configMaps.AddRange(kustomization.ConfigMapGenerator.Select(g => g.Name));
    }
}
