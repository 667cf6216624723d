using System.Globalization;
using System.Text.RegularExpressions;
using Redoubt.Detection.Events;

namespace Redoubt.Detection.Matching;

/// <summary>One compiled value of a detection item, tested against one event value.</summary>
public abstract class ValueMatcher
{
    public abstract bool Match(EventFields fields, int entry);
    /// <summary>The value as the rule meant it, for rule listings and explanations.</summary>
    public abstract string Describe();
}

/// <summary>Equality, prefix, suffix, substring or general wildcard match; folded unless cased.</summary>
public sealed class StringMatcher : ValueMatcher
{
    private enum Shape : byte { Exact, Prefix, Suffix, Contains, Glob }

    private readonly Shape _shape;
    private readonly string _text;
    private readonly Glob _glob;
    public bool Cased { get; }
    public Glob Pattern => _glob;

    public StringMatcher(Glob glob, bool cased)
    {
        Cased = cased;
        _glob = cased ? glob : glob.Map(Fold.String);
        var g = _glob;
        if (g.HasAnyOne || g.Pieces.Length > 1) { _shape = Shape.Glob; _text = ""; return; }
        _text = g.Pieces[0];
        _shape = (g.LeadingStar, g.TrailingStar) switch
        {
            (false, false) => Shape.Exact,
            (false, true) => Shape.Prefix,
            (true, false) => Shape.Suffix,
            _ => Shape.Contains,
        };
    }

    public override bool Match(EventFields fields, int entry)
    {
        if (fields.KindOf(entry) == ValueKind.Null) return false;
        var value = Cased ? fields.Text(entry) : fields.Folded(entry);
        return _shape switch
        {
            Shape.Exact => value.SequenceEqual(_text),
            Shape.Prefix => value.StartsWith(_text, StringComparison.Ordinal),
            Shape.Suffix => value.EndsWith(_text, StringComparison.Ordinal),
            Shape.Contains => value.IndexOf(_text, StringComparison.Ordinal) >= 0,
            _ => _glob.IsMatch(value),
        };
    }

    public override string Describe() => (Cased ? "cased " : "") + _glob;
}

public sealed class RegexMatcher(Regex regex, string source) : ValueMatcher
{
    private long _timeouts;
    public Regex Regex { get; } = regex;
    /// <summary>Matches abandoned at the time budget (backtracking patterns only); shown with the rule.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    public override bool Match(EventFields fields, int entry)
    {
        if (fields.KindOf(entry) == ValueKind.Null) return false;
        try { return Regex.IsMatch(fields.Text(entry)); }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref _timeouts);
            return false;
        }
    }

    public override string Describe() => "re " + source;
}

public sealed class CidrMatcher(UInt128 network, UInt128 mask, string source) : ValueMatcher
{
    public override bool Match(EventFields fields, int entry) =>
        fields.KindOf(entry) != ValueKind.Null
        && IpText.TryParse(fields.Text(entry), out var address, out _)
        && (address & mask) == network;

    public override string Describe() => "cidr " + source;
}

public enum CompareOp : byte { Lt, Lte, Gt, Gte }

public sealed class NumberMatcher(CompareOp op, double value) : ValueMatcher
{
    public override bool Match(EventFields fields, int entry)
    {
        if (!Numbers.TryParse(fields.Text(entry), out var number)) return false;
        return op switch
        {
            CompareOp.Lt => number < value,
            CompareOp.Lte => number <= value,
            CompareOp.Gt => number > value,
            _ => number >= value,
        };
    }

    public override string Describe() => op.ToString().ToLowerInvariant() + " " + value.ToString(CultureInfo.InvariantCulture);
}

public enum TimePart : byte { Minute, Hour, Day, Week, Month, Year }

/// <summary>The time modifiers: a part of a date field compared with a number.</summary>
public sealed class TimePartMatcher(TimePart part, int value) : ValueMatcher
{
    public override bool Match(EventFields fields, int entry)
    {
        if (!DateTimeOffset.TryParse(fields.Text(entry), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return false;
        var actual = part switch
        {
            TimePart.Minute => t.Minute,
            TimePart.Hour => t.Hour,
            TimePart.Day => t.Day,
            TimePart.Week => ISOWeek.GetWeekOfYear(t.UtcDateTime),
            TimePart.Month => t.Month,
            _ => t.Year,
        };
        return actual == value;
    }

    public override string Describe() => part.ToString().ToLowerInvariant() + " " + value.ToString(CultureInfo.InvariantCulture);
}

public static class Numbers
{
    /// <summary>Decimal, or hexadecimal with 0x (Windows writes ids and masks that way).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out double value)
    {
        text = text.Trim();
        if (text.Length > 2 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            if (ulong.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                value = hex;
                return true;
            }
            value = 0;
            return false;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
