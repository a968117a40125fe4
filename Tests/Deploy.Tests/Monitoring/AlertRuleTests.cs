using System.Text.Json;
using Migration.Tests.Deploy.Manifests;

namespace Migration.Tests.Deploy.Monitoring;

/// <summary>The alert rules: valid for Prometheus, unit-tested by promtool alert by alert, the same for the Operator.</summary>
public sealed class AlertRuleTests
{
    public static TheoryData<string> Alerts()
    {
        var data = new TheoryData<string>();
        foreach (var rule in MonitoringFiles.Read<RuleFile>(MonitoringFiles.Alerts).Groups.SelectMany(g => g.Rules).Where(r => r.Alert is not null))
        {
            data.Add(rule.Alert!);
        }

        return data;
    }

    [Fact]
    public async Task Promtool_check_rules_accepts_the_alert_rules()
    {
        var result = await ExternalTool.RunAsync("promtool", "prometheus", MonitoringFiles.PrometheusDirectory, "check", "rules", "alerts.yaml");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("SUCCESS", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_test_rules_passes_every_alert_unit_test()
    {
        var result = await ExternalTool.RunAsync("promtool", "prometheus", MonitoringFiles.PrometheusDirectory, "test", "rules", "alerts.test.yaml");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("SUCCESS", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Alerts))]
    public void Every_alert_has_a_unit_test_where_it_fires_and_one_where_it_stays_quiet(string alert)
    {
        var cases = MonitoringFiles.Read<RuleTestFile>(MonitoringFiles.AlertTests).Tests
            .SelectMany(t => t.AlertRuleTest).Where(c => c.Alertname == alert).ToList();
        Assert.Contains(cases, c => c.ExpAlerts.Count > 0);
        Assert.Contains(cases, c => c.ExpAlerts.Count == 0);
        Assert.All(cases.SelectMany(c => c.ExpAlerts), a => Assert.True(a.ExpLabels.ContainsKey("severity"), $"{alert}: an expected alert without its severity"));
    }

    [Fact]
    public void The_PrometheusRule_carries_exactly_the_rule_file_groups()
    {
        var file = MonitoringFiles.Read<RuleFile>(MonitoringFiles.Alerts).Groups;
        var set = ManifestSet.Load(Path.Combine(RepositoryPaths.K8s, "base"));
        var rule = Assert.Single(set.OfKind<PrometheusRule>());
        Assert.Equal(JsonSerializer.Serialize(file), JsonSerializer.Serialize(rule.Spec.Groups));
        Assert.All(file.SelectMany(g => g.Rules), r => Assert.True(r.Annotations.ContainsKey("summary") && r.Annotations.ContainsKey("description"), r.Alert));
    }
}
