using System.Text.RegularExpressions;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class SetupCodeTests
{
    [Fact]
    public void A_code_is_four_groups_of_four_crockford_characters_and_differs_each_time()
    {
        var setup = new SetupCode();
        Assert.False(setup.Pending);
        var a = setup.Issue();
        Assert.Matches(new Regex("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"), a);
        Assert.True(setup.Pending);
        Assert.NotEqual(a, new SetupCode().Issue());
    }

    [Fact]
    public void A_retyped_code_matches_regardless_of_case_dashes_spaces_and_o_i_l_confusions()
    {
        var setup = new SetupCode();
        var code = setup.Issue();
        Assert.True(setup.Matches(code));
        Assert.True(setup.Matches(code.ToLowerInvariant().Replace("-", " ")));
        Assert.True(setup.Matches(code.Replace("-", "").Replace('0', 'O').Replace('1', 'l')));
        Assert.False(setup.Matches(code[..^1] + (code[^1] == 'A' ? 'B' : 'A')));
        Assert.False(setup.Matches(null));
        Assert.False(setup.Matches(""));
    }

    [Fact]
    public void A_consumed_code_matches_nothing()
    {
        var setup = new SetupCode();
        var code = setup.Issue();
        setup.Consume();
        Assert.False(setup.Pending);
        Assert.False(setup.Matches(code));
    }
}
