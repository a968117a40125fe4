namespace Migration.Tests.Deploy.Monitoring;

// Prometheus's rule file and promtool's unit-test file, as far as deploy/prometheus uses them (YAML keys in snake_case).

public sealed class RuleFile
{
    public List<RuleGroup> Groups { get; set; } = [];
}

public sealed class RuleGroup
{
    public string Name { get; set; } = "";

    public string? Interval { get; set; }

    public List<Rule> Rules { get; set; } = [];
}

public sealed class Rule
{
    public string? Alert { get; set; }

    public string? Record { get; set; }

    public string Expr { get; set; } = "";

    public string? For { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    public Dictionary<string, string> Annotations { get; set; } = [];
}

public sealed class RuleTestFile
{
    public List<string> RuleFiles { get; set; } = [];

    public string? EvaluationInterval { get; set; }

    public List<RuleTest> Tests { get; set; } = [];
}

public sealed class RuleTest
{
    public string Name { get; set; } = "";

    public string? Interval { get; set; }

    public List<InputSeries> InputSeries { get; set; } = [];

    public List<AlertRuleTest> AlertRuleTest { get; set; } = [];
}

public sealed class InputSeries
{
    public string Series { get; set; } = "";

    public string Values { get; set; } = "";
}

public sealed class AlertRuleTest
{
    public string EvalTime { get; set; } = "";

    public string Alertname { get; set; } = "";

    public List<ExpectedAlert> ExpAlerts { get; set; } = [];
}

public sealed class ExpectedAlert
{
    public Dictionary<string, string> ExpLabels { get; set; } = [];

    public Dictionary<string, string> ExpAnnotations { get; set; } = [];
}
