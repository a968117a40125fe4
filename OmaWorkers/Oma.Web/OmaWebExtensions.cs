using Microsoft.Extensions.DependencyInjection.Extensions;
using Migration.Oma.Persistence;
using Migration.Oma.Web.Api;
using Migration.Oma.Web.Page;

namespace Migration.Oma.Web;

public static class OmaWebExtensions
{
    /// <summary>
    /// The read-only API and the live page (options section <c>Web</c>), over the database <c>AddMigrationPersistence</c>
    /// configures; its OpenAPI document is <c>oma</c>.
    /// </summary>
    public static IServiceCollection AddOmaWeb(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OmaWebOptions>()
            .Bind(configuration.GetSection(OmaWebOptions.Section))
            .Validate(o => o.PushInterval > TimeSpan.Zero && o.HeartbeatInterval > TimeSpan.Zero, "Web:PushInterval and Web:HeartbeatInterval must be positive")
            .Validate(o => o.MaxPageSize >= 1 && o.DefaultPageSize >= 1 && o.DefaultPageSize <= o.MaxPageSize, "Web:DefaultPageSize must be from 1 to Web:MaxPageSize")
            .Validate(o => o.MaxOffset >= 0, "Web:MaxOffset must not be negative")
            .ValidateOnStart();
        services.AddMigrationPersistence(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JobDocumentReader>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, OmaWebJsonContext.SnakeCase));
        services.AddProblemDetails();
        services.AddOpenApi(JobsEndpoints.DocumentName, openApi => openApi.ShouldInclude = description => description.GroupName == JobsEndpoints.DocumentName);
        return services;
    }

    /// <summary>
    /// Maps <c>/api/v1/jobs…</c>, the page at <c>/</c> and, unless another part of the host already maps the OpenAPI
    /// documents (the demo's VMA does), <c>/openapi/oma.json</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapOmaWeb(this IEndpointRouteBuilder endpoints, bool includeOpenApi = true)
    {
        endpoints.MapJobsEndpoints();
        endpoints.MapPageEndpoints();
        if (includeOpenApi)
        {
            endpoints.MapOpenApi();
        }

        return endpoints;
    }
}
