using Migration.Contracts.Text;

namespace Migration.Tests.Contracts;

public sealed class SafeTextTests
{
    [Theory]
    [InlineData("plain 'quoted' \"x\" 100% {0}", "plain 'quoted' \"x\" 100% {0}")]
    [InlineData("a\nb\r\nc\td", @"a\nb\r\nc\td")]
    [InlineData("esc \u001b[31m del \u007f nel \u0085", @"esc \u001b[31m del \u007f nel \u0085")]
    [InlineData("ls \u2028 ps \u2029", @"ls \u2028 ps \u2029")]
    [InlineData("rtl \u202E\u200F \U0001F600", "rtl \u202E\u200F \U0001F600")]
    public void Control_characters_and_line_separators_are_escaped_and_everything_else_kept(string value, string expected) =>
        Assert.Equal(expected, SafeText.Escape(value));

    [Fact]
    public void A_cut_never_splits_a_four_byte_character() =>
        Assert.Equal("abc\U0001F600…", SafeText.Escape("abc\U0001F600def", maxLength: 4));
}
