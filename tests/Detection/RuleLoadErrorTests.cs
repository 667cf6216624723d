using static Redoubt.Tests.Detection.Sigma;

namespace Redoubt.Tests.Detection;

/// <summary>A rule Redoubt cannot run is a load error with file, line and reason, never a rule that silently never fires.</summary>
public class RuleLoadErrorTests
{
    private static Redoubt.Detection.Rules.RuleLoadError OnlyError(string yaml)
    {
        var set = Load(yaml);
        Assert.Empty(set.Rules);
        return Assert.Single(set.Errors);
    }

    [Fact]
    public void Unknown_modifier_names_it_and_its_line()
    {
        var e = OnlyError(ProcessRule("selection:\n    Image|endswith: 'a'\n    CommandLine|contians: 'x'"));
        Assert.Equal("unknown_modifier", e.Code);
        Assert.Contains("contians", e.Message);
        Assert.Equal("rule0.yml", e.File);
        Assert.Equal(9, e.Line);
    }

    [Theory]
    [InlineData("selection:\n    CommandLine|contains|re: 'x'", "invalid_modifier")]
    [InlineData("selection:\n    CommandLine|re: '(unclosed'", "invalid_regex")]
    [InlineData("selection:\n    DestinationIp|cidr: '10.0.0.0/33'", "invalid_value")]
    [InlineData("selection:\n    Port|gt: 'abc'", "invalid_value")]
    [InlineData("selection:\n    Image|exists: maybe", "invalid_value")]
    [InlineData("selection:\n    User|expand: '%Nobody%'", "undefined_placeholder")]
    [InlineData("selection:\n    CommandLine|base64: 'a*b'", "invalid_value")]
    [InlineData("selection:\n    Image: 'a'", "unknown_selection", "selection and filter")]
    [InlineData("selection:\n    Image: 'a'", "condition_syntax", "selection and")]
    [InlineData("selection:\n    Image: 'a'", "unsupported_feature", "selection | count() > 5")]
    [InlineData("selection:\n    Image: 'a'", "unsupported_feature", "2 of selection")]
    [InlineData("selection:\n    Image: 'a'", "unknown_selection", "1 of filter_*")]
    public void Invalid_rules_are_listed_with_a_code(string selection, string code, string condition = "selection") =>
        Assert.Equal(code, OnlyError(ProcessRule(selection, condition)).Code);

    [Fact]
    public void A_logsource_no_source_provides_does_not_load()
    {
        var e = OnlyError("""
            title: nothing sends this
            logsource: { product: amiga, service: workbench }
            detection:
                selection: { x: 1 }
                condition: selection
            """);
        Assert.Equal("no_log_source", e.Code);
        Assert.Contains("product: amiga", e.Message);
    }

    [Fact]
    public void A_correlation_naming_a_rule_that_is_not_loaded_does_not_load()
    {
        var set = Load("""
            title: many failed logons
            correlation:
                type: event_count
                rules: [failed_logon]
                group-by: [TargetUserName]
                timespan: 5m
                condition: { gte: 10 }
            """);
        Assert.Empty(set.Correlations);
        var e = Assert.Single(set.Errors);
        Assert.Equal("unknown_rule", e.Code);
        Assert.Contains("failed_logon", e.Message);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Yaml_syntax_errors_have_a_position()
    {
        var e = OnlyError("title: x\nlogsource:\n    product: windows\n  bad: indent\n");
        Assert.Equal("yaml_syntax", e.Code);
        Assert.True(e.Line >= 2);
    }

    [Fact]
    public void Yaml_the_parser_itself_fails_on_is_still_a_listed_error()
    {
        // YamlDotNet 18.1 throws InvalidOperationException (not YamlException) on this input.
        var e = OnlyError("title: x\nlogsource: { product: windows\ndetection: [");
        Assert.Equal("yaml_syntax", e.Code);
        // The operator is told which bracket is open and where, not the parser's "Operation is not valid…".
        Assert.Equal(2, e.Line);
        Assert.Equal(12, e.Column);
        Assert.Contains("'{' opened at line 2, column 12 is never closed", e.Message);
        Assert.DoesNotContain("Operation is not valid", e.Message);
    }

    [Fact]
    public void Missing_parts_are_named()
    {
        Assert.Equal("missing_field", OnlyError("title: x\nlogsource: { product: windows }\n").Code);
        Assert.Equal("missing_field", OnlyError("title: x\nlogsource: { product: windows }\ndetection:\n    sel: { a: 1 }\n").Code);
    }

    [Fact]
    public void Duplicate_ids_keep_the_first_rule()
    {
        var set = Load(ProcessRule("selection:\n    Image: a"), ProcessRule("selection:\n    Image: b"));
        Assert.Single(set.Rules);
        Assert.Equal("duplicate_id", Assert.Single(set.Errors).Code);
    }

    [Fact]
    public void Good_rules_load_beside_bad_ones()
    {
        var set = Load(ProcessRule("selection:\n    Image|nope: a"), ProcessRule("selection:\n    Image: b", id: "00000000-0000-0000-0000-000000000002"));
        Assert.Single(set.Rules);
        Assert.Single(set.Errors);
    }

    [Fact]
    public void Filters_exclude_matches_of_the_rules_they_name()
    {
        var rule = ProcessRule("selection:\n    Image|endswith: '\\rar.exe'");
        const string filter = """
            title: admins may compress
            logsource: { category: process_creation, product: windows }
            filter:
                rules:
                    - 00000000-0000-0000-0000-000000000001
                selection:
                    User|startswith: 'adm_'
                condition: selection
            """;
        var set = Load(rule, filter);
        Assert.Empty(set.Errors);
        Assert.Equal(["00000000-0000-0000-0000-000000000001"], Assert.Single(set.Filters).AppliedTo);
        Assert.False(Fires(set, SysmonProcess(("Image", @"C:\rar.exe"), ("User", "adm_bob"))));
        Assert.True(Fires(set, SysmonProcess(("Image", @"C:\rar.exe"), ("User", "bob"))));
    }
}
