using System.Security.Cryptography;
using System.Text;

namespace Migration.VmaAgent.Targets;

/// <summary>
/// A VM name or disk id as one path segment of a default target image: safe characters kept, the rest '_'. A name
/// that had to change gets a digest of the original, so two VMs whose names differ only in unsafe characters
/// (<c>web "a"</c>, <c>web 'a'</c>) never share an image, and <c>.</c> or <c>..</c> never climb out of the directory.
/// </summary>
public static class TargetFileName
{
    private const int MaxKept = 100;

    /// <summary>The default image of a disk: <c>&lt;directory&gt;/&lt;vm&gt;/&lt;disk-id&gt;.img</c>, each segment made safe.</summary>
    public static string DefaultImage(string directory, string vmName, string diskId) =>
        Path.Combine(directory, Of(vmName), Of(diskId) + ".img");

    public static string Of(string name)
    {
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        if (safe.Length > 0 && safe.Length <= MaxKept && safe == name && safe.Trim('.').Length > 0)
        {
            return safe;
        }

        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..12];
        var kept = safe.Length > MaxKept ? safe[..MaxKept] : safe;
        return $"{kept.Replace('.', '_')}-{digest}";
    }
}
