[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Migration.Tests.Cluster;

/// <summary>
/// Every cluster test runs alone: each starts five to six real processes on a two-core machine, and their timing
/// (the 2-second poll cadence among it) is part of what they check.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class ClusterCollection
{
    public const string Name = "cluster";
}
