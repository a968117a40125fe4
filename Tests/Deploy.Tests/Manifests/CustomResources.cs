using k8s;
using k8s.Models;

namespace Migration.Tests.Deploy.Manifests;

// The custom resources the manifests use (KEDA, cert-manager, External Secrets), modelled as far as the manifests
// go, so that strict parsing refuses a misspelt field in them as it does in the built-in kinds.

public abstract class CustomResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public TSpec Spec { get; set; } = new();
}

public sealed class ScaledObject : CustomResource<ScaledObjectSpec>;

public sealed class ScaledObjectSpec
{
    public NameReference ScaleTargetRef { get; set; } = new();

    public int? MinReplicaCount { get; set; }

    public int? MaxReplicaCount { get; set; }

    public int? PollingInterval { get; set; }

    public int? CooldownPeriod { get; set; }

    public List<ScaleTrigger> Triggers { get; set; } = [];
}

public sealed class ScaleTrigger
{
    public string Type { get; set; } = "";

    public Dictionary<string, string> Metadata { get; set; } = [];

    public NameReference? AuthenticationRef { get; set; }
}

public sealed class TriggerAuthentication : CustomResource<TriggerAuthenticationSpec>;

public sealed class TriggerAuthenticationSpec
{
    public List<SecretTargetReference> SecretTargetRef { get; set; } = [];
}

public sealed class SecretTargetReference
{
    public string Parameter { get; set; } = "";

    public string Name { get; set; } = "";

    public string Key { get; set; } = "";
}

public sealed class Certificate : CustomResource<CertificateSpec>;

public sealed class CertificateSpec
{
    public string SecretName { get; set; } = "";

    public bool? IsCA { get; set; }

    public string? CommonName { get; set; }

    public string? Duration { get; set; }

    public string? RenewBefore { get; set; }

    public CertificatePrivateKey? PrivateKey { get; set; }

    public List<string> Usages { get; set; } = [];

    public List<string> DnsNames { get; set; } = [];

    public KindNameReference IssuerRef { get; set; } = new();
}

public sealed class CertificatePrivateKey
{
    public string? Algorithm { get; set; }

    public int? Size { get; set; }

    public string? RotationPolicy { get; set; }
}

public sealed class Issuer : CustomResource<IssuerSpec>;

public sealed class IssuerSpec
{
    public SelfSignedIssuer? SelfSigned { get; set; }

    public CaIssuer? Ca { get; set; }
}

public sealed class SelfSignedIssuer;

public sealed class CaIssuer
{
    public string SecretName { get; set; } = "";
}

public sealed class ExternalSecret : CustomResource<ExternalSecretSpec>;

public sealed class ExternalSecretSpec
{
    public string? RefreshInterval { get; set; }

    public KindNameReference SecretStoreRef { get; set; } = new();

    public ExternalSecretTarget Target { get; set; } = new();

    public List<ExternalSecretData> Data { get; set; } = [];
}

public sealed class ExternalSecretTarget
{
    public string Name { get; set; } = "";

    public ExternalSecretTemplate? Template { get; set; }
}

public sealed class ExternalSecretTemplate
{
    public string? Type { get; set; }
}

public sealed class ExternalSecretData
{
    public string SecretKey { get; set; } = "";

    public RemoteReference RemoteRef { get; set; } = new();
}

public sealed class RemoteReference
{
    public string Key { get; set; } = "";

    public string? Property { get; set; }
}

public sealed class NameReference
{
    public string Name { get; set; } = "";

    public string? Kind { get; set; }
}

public sealed class KindNameReference
{
    public string Kind { get; set; } = "";

    public string Name { get; set; } = "";
}

public sealed class PrometheusRule : CustomResource<PrometheusRuleSpec>;

public sealed class PrometheusRuleSpec
{
    public List<Monitoring.RuleGroup> Groups { get; set; } = [];
}
