using System.Text.Json;
using System.Text.Json.Serialization;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Api;

/// <summary>
/// Control of the built-in simulator (mapped only when <c>Vma:Source=Simulated</c>): lets tests and demos in
/// other processes list the inventory and write into a VM's disks so the next incremental has real changes.
/// </summary>
public static class SimulatorEndpoints
{
    public static IEndpointRouteBuilder MapSimulatorEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var simulator = endpoints.MapGroup("/api/v1/simulator");
        simulator.MapGet("/vms", (SimulatedInventory inventory) =>
            TypedResults.Json(inventory.Vms.Select(ToDto).ToList(), SimulatorJsonContext.Default.ListSimulatedVmDto));
        simulator.MapPost("/vms/{name}/changes", ChangeAsync);
        simulator.MapPost("/vms/{name}/cbt-reset", (string name, SimulatedInventory inventory) =>
        {
            if (inventory.Vms.All(vm => vm.Name != name))
            {
                return UnknownVm(name);
            }

            inventory.ResetChangeTracking(name);
            return TypedResults.Json(ToDto(inventory.GetVm(name)), SimulatorJsonContext.Default.SimulatedVmDto);
        });
        simulator.MapPut("/read-rate", SetReadRateAsync);
        return endpoints;
    }

    /// <summary>200 the new rate; 400 a body without a non-negative <c>bytes_per_second</c>.</summary>
    public static async Task<IResult> SetReadRateAsync(HttpRequest http, SimulatedReadPace pace, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync(http, loggers.CreateLogger(typeof(SimulatorEndpoints).FullName!), optional: false, cancellationToken);
        if (body.Refusal is not null)
        {
            return body.Refusal;
        }

        ReadRateDto? request = null;
        try
        {
            request = JsonSerializer.Deserialize(body.Body!, SimulatorJsonContext.Default.ReadRateDto);
        }
        catch (JsonException)
        {
        }

        if (request is not { BytesPerSecond: >= 0 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["bytes_per_second"] = ["must be a whole number ≥ 0 (0: no limit)"] });
        }

        pace.BytesPerSecond = request.BytesPerSecond!.Value;
        return TypedResults.Json(request, SimulatorJsonContext.Default.ReadRateDto);
    }

    /// <summary>200 what was written; 400 invalid body; 404 unknown VM.</summary>
    public static async Task<IResult> ChangeAsync(string name, HttpRequest http, SimulatedInventory inventory, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (inventory.Vms.All(vm => vm.Name != name))
        {
            return UnknownVm(name);
        }

        var body = await JsonBody.ReadAsync(http, loggers.CreateLogger(typeof(SimulatorEndpoints).FullName!), optional: true, cancellationToken);
        if (body.Refusal is not null)
        {
            return body.Refusal;
        }

        ChangeRequestDto request;
        try
        {
            request = body.Body!.Length == 0
                ? new ChangeRequestDto()
                : JsonSerializer.Deserialize(body.Body, SimulatorJsonContext.Default.ChangeRequestDto) ?? new ChangeRequestDto();
        }
        catch (JsonException ex)
        {
            var field = ex.Path?.TrimStart('$', '.') is { Length: > 0 } p ? Contracts.Text.SafeText.Escape(p, 100) : "body";
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [field] = [ex.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field" : "is not valid here (areas, area_bytes and seed are whole numbers)"],
            });
        }

        if (request.Areas is < 1 or > 100_000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["areas"] = ["must be between 1 and 100000"] });
        }

        if (request.AreaBytes is < 1)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["area_bytes"] = ["must be positive"] });
        }

        var change = inventory.ChangeAreas(name, request.Areas, request.AreaBytes, request.Seed);
        return TypedResults.Json(new VmChangeDto(change.VmName, change.TotalBytes,
            [.. change.Disks.Select(d => new DiskChangeDto(d.DiskId, d.ChangeIdAfter, d.Bytes, [.. d.Areas.Select(a => new AreaDto(a.Offset, a.Length))]))]),
            SimulatorJsonContext.Default.VmChangeDto);
    }

    private static SimulatedVmDto ToDto(SimulatedVm vm) => new(vm.Name, vm.Moref, vm.Uuid,
    [
        .. vm.Disks.Select(d =>
        {
            var state = d.Current;
            return new SimulatedDiskDto(d.Id, d.Label, d.CapacityBytes, state.AllocatedAreas().Sum(a => a.Length), state.ChangeTrackingEnabled, state.ChangeId);
        }),
    ]);

    private static IResult UnknownVm(string name) =>
        TypedResults.Problem(title: "Unknown VM", detail: $"no simulated VM named '{name}'", statusCode: StatusCodes.Status404NotFound);
}

public sealed record ChangeRequestDto
{
    /// <summary>Areas written per disk. Default 4.</summary>
    public int Areas { get; init; } = 4;

    /// <summary>Bytes per area (rounded up to whole blocks). Default one block.</summary>
    public long? AreaBytes { get; init; }

    /// <summary>Seed of where and what is written; the same seed on the same state writes the same bytes.</summary>
    public long? Seed { get; init; }
}

public sealed record ReadRateDto(long? BytesPerSecond);

public sealed record AreaDto(long Offset, long Length);

public sealed record DiskChangeDto(string Id, string ChangeId, long Bytes, IReadOnlyList<AreaDto> Areas);

public sealed record VmChangeDto(string Vm, long TotalBytes, IReadOnlyList<DiskChangeDto> Disks);

public sealed record SimulatedDiskDto(string Id, string Label, long CapacityBytes, long AllocatedBytes, bool ChangeTrackingEnabled, string ChangeId);

public sealed record SimulatedVmDto(string Name, string Moref, string Uuid, IReadOnlyList<SimulatedDiskDto> Disks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ChangeRequestDto))]
[JsonSerializable(typeof(ReadRateDto))]
[JsonSerializable(typeof(VmChangeDto))]
[JsonSerializable(typeof(SimulatedVmDto))]
[JsonSerializable(typeof(List<SimulatedVmDto>))]
public sealed partial class SimulatorJsonContext : JsonSerializerContext;
