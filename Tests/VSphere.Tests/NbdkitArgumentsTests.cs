using Microsoft.Extensions.Logging.Abstractions;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>The nbdkit command lines of the Nbd disk reader, and the vddk plugin's password kept out of them.</summary>
public sealed class NbdkitArgumentsTests
{
    private const string Sha1 = "af81b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3";
    private static readonly SnapshotDiskLocation Location =
        new("vm-123", "snapshot-45", "[datastore1] web01/web01-000001.vmdk", "DC1", "datastore1", 8 << 20);

    private static VSphereOptions Options(string plugin = "vddk") => new()
    {
        Url = "https://vcenter.example/sdk",
        Username = "svc-vma@vsphere.local",
        Password = "Pa55-w0rd-never-in-argv",
        Thumbprint = Sha1,
        DiskReader = "Nbd",
        Nbd = new VSphereNbdOptions { Plugin = plugin, LibDir = "/opt/vmware-vix-disklib-distrib", Filters = ["blocksize"], Parameters = ["minblock=512"] },
    };

    [Fact]
    public void The_vddk_command_line_names_the_snapshot_the_vm_by_moref_the_sha1_thumbprint_and_a_password_file()
    {
        var arguments = NbdkitDiskArguments.Vddk(Options(), Location, "/run/vma/pw");

        Assert.Equal(
        [
            "-r", "--filter=blocksize", "vddk",
            "libdir=/opt/vmware-vix-disklib-distrib",
            "server=vcenter.example",
            "user=svc-vma@vsphere.local",
            "password=+/run/vma/pw",
            "thumbprint=AF:81:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3",
            "vm=moref=vm-123",
            "snapshot=snapshot-45",
            "transports=nbdssl:nbd",
            "file=[datastore1] web01/web01-000001.vmdk",
            "minblock=512",
        ], arguments);
        Assert.DoesNotContain(arguments, a => a.Contains("Pa55", StringComparison.Ordinal));
    }

    [Fact]
    public void The_vddk_plugin_is_refused_at_start_up_without_its_library_or_a_sha1_thumbprint()
    {
        var options = Options();
        options.Nbd.LibDir = null;
        options.Thumbprint = new string('A', 64);
        var failures = VSphereOptionsRules.Check(options).ToList();
        Assert.Contains(failures, f => f.Contains("Vma:VSphere:Nbd:LibDir", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("SHA-1 thumbprint", StringComparison.Ordinal));

        options.Nbd.Thumbprint = Sha1;
        options.Nbd.LibDir = "/opt/vddk";
        Assert.Empty(VSphereOptionsRules.Check(options));
        options.Nbd.Plugin = "ssh";
        Assert.Contains(VSphereOptionsRules.Check(options), f => f.Contains("vddk or file", StringComparison.Ordinal));
        options.DiskReader = "Hotadd";
        Assert.Contains(VSphereOptionsRules.Check(options), f => f.Contains("Datastore or Nbd", StringComparison.Ordinal));
    }

    [Fact]
    public void The_file_plugin_finds_the_disk_under_its_datastores_folder_and_never_outside_it()
    {
        var root = Directory.CreateTempSubdirectory("vma-ds-").FullName;
        try
        {
            var options = Options("file");
            options.Nbd.DatastoreRoots["datastore1"] = root;
            Assert.Empty(VSphereOptionsRules.Check(options));
            Assert.Equal(["-r", "--filter=blocksize", "file", "file=" + Path.Combine(root, "web01", "web01-000001.vmdk"), "minblock=512"],
                NbdkitDiskArguments.File(options, Location));

            Assert.Throws<FormatException>(() => NbdkitDiskArguments.LocalPath(options.Nbd, Location with { FileName = "[datastore1] ../../etc/shadow" }));
            Assert.Throws<FormatException>(() => NbdkitDiskArguments.LocalPath(options.Nbd, Location with { FileName = "[other] web01/web01.vmdk" }));
            options.Nbd.DatastoreRoots["datastore2"] = Path.Combine(root, "missing");
            Assert.Contains(VSphereOptionsRules.Check(options), f => f.Contains("DatastoreRoots:datastore2", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// A stand-in for nbdkit (VDDK itself is not available here) records the command line it was given and what the
    /// password file holds, then serves a disk with the real nbdkit: the password reaches nbdkit only through a file
    /// of mode 600 that is gone once the disk is closed, and the process is stopped.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_vddk_reader_hands_the_password_over_in_a_private_file_removed_with_the_disk()
    {
        var root = Directory.CreateTempSubdirectory("vma-vddk-").FullName;
        try
        {
            var image = Path.Combine(root, "disk.img");
            await File.WriteAllBytesAsync(image, VcSimPattern(Location.CapacityBytes));
            var record = Path.Combine(root, "record");
            var script = Path.Combine(root, "fake-nbdkit");
            await File.WriteAllTextAsync(script, $$"""
                #!/bin/sh
                printf '%s\n' "$@" > '{{record}}.argv'
                for a; do case "$a" in password=+*) f="${a#password=+}"; cat "$f" > '{{record}}.pw'; stat -c %a "$f" > '{{record}}.mode';; esac; done
                exec nbdkit "$1" "$2" -r file file='{{image}}'
                """);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var options = Options();
            options.Nbd.Nbdkit = script;
            options.Nbd.SocketDirectory = root;
            options.Nbd.Filters = [];
            options.Nbd.Parameters = [];
            var reader = new NbdSnapshotDiskReader(options, new NbdClientOptions(), TimeProvider.System, () => options.Password!, NullLogger.Instance);

            var disk = await reader.OpenAsync("disk-2000", Location, default);
            var head = new byte[4096];
            await disk.ReadAsync(0, head, default);
            var secretFiles = Directory.GetFiles(root, "*.password");

            Assert.Equal(VcSimPattern(4096), head);
            Assert.Equal(options.Password, await File.ReadAllTextAsync(record + ".pw"));
            Assert.Equal("600", (await File.ReadAllTextAsync(record + ".mode")).Trim());
            var argv = await File.ReadAllLinesAsync(record + ".argv");
            Assert.Contains("vm=moref=vm-123", argv);
            Assert.Contains("snapshot=snapshot-45", argv);
            Assert.DoesNotContain(argv, a => a.Contains(options.Password!, StringComparison.Ordinal));
            Assert.Single(secretFiles);

            await ((IAsyncDisposable)disk).DisposeAsync();
            Assert.Empty(Directory.GetFiles(root, "*.password"));
            Assert.Empty(Directory.GetFiles(root, "*.sock"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static byte[] VcSimPattern(long length)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + (i >> 9));
        }

        return data;
    }
}
