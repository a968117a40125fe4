namespace Migration.Tests.Deploy.Manifests;

/// <summary>The parts of a kustomization.yaml the manifests use (parsed strictly, like the resources).</summary>
public sealed class Kustomization
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public string? Namespace { get; set; }

    public List<string> Resources { get; set; } = [];

    public List<ImageOverride> Images { get; set; } = [];

    public GeneratorOptions? GeneratorOptions { get; set; }

    public List<Generator> SecretGenerator { get; set; } = [];

    public List<Generator> ConfigMapGenerator { get; set; } = [];

    public List<PatchEntry> Patches { get; set; } = [];
}

public sealed class ImageOverride
{
    public string Name { get; set; } = "";

    public string? NewName { get; set; }

    public string? NewTag { get; set; }
}

public sealed class GeneratorOptions
{
    public bool? DisableNameSuffixHash { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];
}

public sealed class Generator
{
    public string Name { get; set; } = "";

    public string? Type { get; set; }

    public List<string> Literals { get; set; } = [];

    public List<string> Files { get; set; } = [];
}

public sealed class PatchEntry
{
    public PatchTarget Target { get; set; } = new();

    public string Patch { get; set; } = "";
}

public sealed class PatchTarget
{
    public string? Kind { get; set; }

    public string? Name { get; set; }
}
