namespace Migration.Tests.Deploy;

internal static class RepositoryPaths
{
    /// <summary>The checkout's root: the first directory above the test binaries that holds Migration.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string K8s => Path.Combine(Root, "deploy", "k8s");

    public static string Images => Path.Combine(Root, "deploy", "images");

    public static string Overlay(string name) => Path.Combine(K8s, "overlays", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Migration.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Migration.sln above {AppContext.BaseDirectory}");
    }
}
