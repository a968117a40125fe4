using System.Text.Json.Serialization;

namespace Migration.Contracts.Status;

/// <summary>What kind of sync is asked for.</summary>
/// <remarks>
/// <see cref="Auto"/>: an incremental from the change ids the OMA holds for every disk of the VM, else a full sync.
/// Serialized in lower case ("auto", "full", "incremental") as the VMA API and the seed write it.
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<SyncType>))]
public enum SyncType
{
    [JsonStringEnumMemberName("auto")] Auto,
    [JsonStringEnumMemberName("full")] Full,
    [JsonStringEnumMemberName("incremental")] Incremental,
}
