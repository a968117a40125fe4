using Migration.VmaAgent.VSphere;

namespace Migration.VmaAgent.Configuration;

/// <summary>What <c>Vma:VSphere</c> must hold when the source is VSphere, each failure naming its key.</summary>
public static class VSphereOptionsRules
{
    public static IEnumerable<string> Check(VSphereOptions o)
    {
        if (!Uri.TryCreate(o.Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            yield return "Vma:VSphere:Url must be the https:// URL of vCenter's SDK (e.g. https://vcenter.example/sdk)";
        }

        if (string.IsNullOrWhiteSpace(o.Username))
        {
            yield return "Vma:VSphere:Username is required";
        }

        if (string.IsNullOrEmpty(o.Password) == string.IsNullOrEmpty(o.PasswordFile))
        {
            yield return "exactly one of Vma:VSphere:Password and Vma:VSphere:PasswordFile is required";
        }
        else if (!string.IsNullOrEmpty(o.PasswordFile) && !File.Exists(o.PasswordFile))
        {
            yield return $"Vma:VSphere:PasswordFile {o.PasswordFile} does not exist";
        }

        if (!string.IsNullOrWhiteSpace(o.Thumbprint))
        {
            var hex = o.Thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            if (hex.Length is not (40 or 64) || !hex.All(char.IsAsciiHexDigit))
            {
                yield return "Vma:VSphere:Thumbprint must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint";
            }
        }

        if (!string.IsNullOrWhiteSpace(o.CaFile) && !File.Exists(o.CaFile))
        {
            yield return $"Vma:VSphere:CaFile {o.CaFile} does not exist";
        }

        if (o.Insecure && (!string.IsNullOrWhiteSpace(o.Thumbprint) || !string.IsNullOrWhiteSpace(o.CaFile)))
        {
            yield return "Vma:VSphere:Insecure cannot be combined with Vma:VSphere:Thumbprint or Vma:VSphere:CaFile";
        }

        if (o.CallTimeout <= TimeSpan.Zero || o.ConnectTimeout <= TimeSpan.Zero || o.TaskTimeout <= TimeSpan.Zero || o.TaskPollInterval <= TimeSpan.Zero)
        {
            yield return "Vma:VSphere:CallTimeout, :ConnectTimeout, :TaskTimeout and :TaskPollInterval must be positive";
        }

        if (string.Equals(o.DiskReader, "Nbd", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var failure in CheckNbd(o))
            {
                yield return failure;
            }
        }
        else if (!string.Equals(o.DiskReader, "Datastore", StringComparison.OrdinalIgnoreCase))
        {
            yield return "Vma:VSphere:DiskReader must be Datastore or Nbd";
        }
    }

    private static IEnumerable<string> CheckNbd(VSphereOptions o)
    {
        var nbd = o.Nbd;
        if (nbd.StartTimeout <= TimeSpan.Zero)
        {
            yield return "Vma:VSphere:Nbd:StartTimeout must be positive";
        }

        if (string.IsNullOrWhiteSpace(nbd.Nbdkit))
        {
            yield return "Vma:VSphere:Nbd:Nbdkit must name the nbdkit program";
        }

        if (string.Equals(nbd.Plugin, "vddk", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(nbd.LibDir))
            {
                yield return "Vma:VSphere:Nbd:LibDir is required with the vddk plugin (the VDDK directory, e.g. /opt/vmware-vix-disklib-distrib)";
            }

            if (NbdkitDiskArguments.VddkThumbprint(o) is null)
            {
                yield return "the vddk plugin needs the SHA-1 thumbprint of vCenter's certificate: Vma:VSphere:Nbd:Thumbprint, or a SHA-1 Vma:VSphere:Thumbprint";
            }
        }
        else if (string.Equals(nbd.Plugin, "file", StringComparison.OrdinalIgnoreCase))
        {
            if (nbd.DatastoreRoots.Count == 0)
            {
                yield return "Vma:VSphere:Nbd:DatastoreRoots must name the local folder of each datastore with the file plugin";
            }

            foreach (var (name, folder) in nbd.DatastoreRoots)
            {
                if (!Directory.Exists(folder))
                {
                    yield return $"Vma:VSphere:Nbd:DatastoreRoots:{name}: folder {folder} does not exist";
                }
            }
        }
        else
        {
            yield return "Vma:VSphere:Nbd:Plugin must be vddk or file";
        }
    }
}
