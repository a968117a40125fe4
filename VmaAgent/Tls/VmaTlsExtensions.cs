using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Migration.VmaAgent.Tls;

public static class VmaTlsExtensions
{
    /// <summary>
    /// With <c>Kestrel:Endpoints:Https:Url</c> set: mutual TLS (reloading certificates, client certificate checks, the
    /// gate in front of every request, the health-only plain listeners). Without it: the plain-HTTP warning only.
    /// </summary>
    public static IServiceCollection AddVmaTls(this IServiceCollection services, IConfiguration configuration)
    {
        if (HttpsEndpointSettings.Read(configuration) is not { } https)
        {
            services.AddHostedService<PlainHttpWarning>();
            return services;
        }

        services.AddSingleton(https);
        services.AddSingleton<ClientCertificatePolicy>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelTlsSetup>();
        services.AddTransient<IStartupFilter, ClientCertificateGateStartupFilter>();
        return services;
    }

    private sealed class ClientCertificateGateStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<ClientCertificateGate>();
            next(app);
        };
    }
}
