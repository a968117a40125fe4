using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Migration.Tests.Deploy.Monitoring;

internal static class MonitoringFiles
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    public static string PrometheusDirectory => Path.Combine(RepositoryPaths.Root, "deploy", "prometheus");

    public static string Alerts => Path.Combine(PrometheusDirectory, "alerts.yaml");

    public static string AlertTests => Path.Combine(PrometheusDirectory, "alerts.test.yaml");

    public static T Read<T>(string path) => Yaml.Deserialize<T>(File.ReadAllText(path));
}
