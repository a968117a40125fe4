using System.Text.Json.Serialization;

namespace Migration.Contracts.Status;

/// <summary>The nine operations of a replication, in the order they run (the seed's current_operation).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReplicationStage>))]
public enum ReplicationStage
{
    Discover,
    EnableCBT,
    QueryCBT,
    Snapshot,
    PrepareVolumes,
    StartExports,
    Transfer,
    Finalize,
    PersistChangeIDs,
}
