using System.Text.Json.Serialization;
namespace Migration.Contracts.Vma;

/// <summary>Which VM to replicate: exactly one of name, managed object reference or instance uuid.</summary>
/// <remarks>Unknown fields are rejected: a typo must not silently start a different job.</remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record VmReference
{
    public string? Name { get; init; }

    public string? Moref { get; init; }

    public string? Uuid { get; init; }

    /// <summary>The one value given, for logs and the job row's vm_name.</summary>
    /// <summary>Longest name, moref or uuid accepted (vCenter allows 80-character VM names; the database column holds 255).</summary>
    public const int MaxLength = 255;

    public string Display => Name ?? Moref ?? Uuid ?? "";

    /// <summary>Null when valid, else why not (names the field).</summary>
    public string? Validate()
    {
        var given = (Name is null ? 0 : 1) + (Moref is null ? 0 : 1) + (Uuid is null ? 0 : 1);
        if (given != 1)
        {
            return "vm: exactly one of name, moref or uuid is required";
        }

        if (Display.Length > MaxLength)
        {
            return $"vm: at most {MaxLength} characters";
        }

        return string.IsNullOrWhiteSpace(Display) ? "vm: the value must not be empty" : null;
    }
}
