using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Redoubt.Detection.Iocs;

/// <summary>The indicators a file held and every one that did not import.</summary>
public sealed record IocParseResult(List<Indicator> Indicators, List<IocImportError> Errors);

/// <summary>
/// Reads IOC lists offline: CSV (type, value, source, expiry) and STIX 2.1 bundles whose indicators
/// have simple patterns — comparisons `object:path = 'value'` on IPv4/IPv6 addresses (or CIDR),
/// domain names, URLs and file hashes, OR-ed. Anything else (AND, FOLLOWEDBY, other operators or
/// objects, qualifiers) is a per-indicator error; the other indicators import.
/// </summary>
public static class IocParsers
{
    public const string BadValue = "invalid_value", BadType = "unknown_type", BadPattern = "unsupported_pattern", BadRow = "invalid_row", Revoked = "revoked";

    /// <summary>A value normalized for its type, or an error sentence.</summary>
    public static (IocType Type, string Value)? Normalize(IocType type, string raw, out string? error)
    {
        error = null;
        var v = raw.Trim();
        switch (type)
        {
            case IocType.Ipv4:
            case IocType.Ipv6:
            case IocType.Cidr:
            {
                var slash = v.IndexOf('/');
                if (slash >= 0 || type == IocType.Cidr)
                {
                    if (slash < 0 || !IPAddress.TryParse(v[..slash], out var network) || !int.TryParse(v[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
                        || bits < 0 || bits > (network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
                    { error = $"'{raw}' is not a network address/prefix length"; return null; }
                    var bytes = network.GetAddressBytes();
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        var keep = Math.Clamp(bits - i * 8, 0, 8);
                        bytes[i] &= (byte)(0xFF << (8 - keep));
                    }
                    return (IocType.Cidr, new IPAddress(bytes) + "/" + bits);
                }
                if (!IPAddress.TryParse(v, out var address) || v.Contains('%'))
                { error = $"'{raw}' is not an IP address"; return null; }
                var v4 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
                if (type == IocType.Ipv4 && !v4 || type == IocType.Ipv6 && v4)
                { error = $"'{raw}' is not an {(type == IocType.Ipv4 ? "IPv4" : "IPv6")} address"; return null; }
                if (v4 && v.Count(c => c == '.') != 3) { error = $"'{raw}' is not a dotted IPv4 address"; return null; }
                return (type, address.ToString());
            }
            case IocType.Domain:
            {
                var d = v.TrimEnd('.').ToLowerInvariant();
                if (d.Length is 0 or > 253 || !d.Contains('.') || d.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')) || d.Contains(".."))
                { error = $"'{raw}' is not a domain name"; return null; }
                return (type, d);
            }
            case IocType.Url:
            {
                if (!Uri.TryCreate(v, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ftp"))
                { error = $"'{raw}' is not an absolute http, https or ftp URL"; return null; }
                return (type, v.TrimEnd('/'));
            }
            default:
            {
                var length = type switch { IocType.Md5 => 32, IocType.Sha1 => 40, IocType.Sha256 => 64, _ => 128 };
                if (v.Length != length || !v.All(char.IsAsciiHexDigit))
                { error = $"'{raw}' is not a {IocTypes.Name(type)} hash ({length} hex digits)"; return null; }
                return (type, v.ToLowerInvariant());
            }
        }
    }

    // ---------------------------------------------------------------- CSV

    /// <summary>CSV with a header naming at least type and value (source, expiry optional); expiry is an ISO 8601 date or time (UTC when no offset).</summary>
    public static IocParseResult Csv(string text, string defaultSource)
    {
        var indicators = new List<Indicator>();
        var errors = new List<IocImportError>();
        var rows = CsvRows(text).ToList();
        if (rows.Count == 0) { errors.Add(new IocImportError { Where = "line 1", Code = BadRow, Message = "the file is empty" }); return new(indicators, errors); }
        var header = rows[0].Cells.Select(c => c.Trim().ToLowerInvariant()).ToList();
        int Col(string name) => header.IndexOf(name);
        int type = Col("type"), value = Col("value"), source = Col("source"), expiry = Col("expiry");
        if (expiry < 0) expiry = Col("expires");
        if (type < 0 || value < 0)
        {
            errors.Add(new IocImportError { Where = "line 1", Code = BadRow, Message = "the header must name the columns type and value (and optionally source, expiry)" });
            return new(indicators, errors);
        }
        foreach (var (line, cells) in rows.Skip(1))
        {
            var where = $"line {line}";
            if (cells.All(c => c.Trim().Length == 0)) continue;
            string Cell(int i) => i >= 0 && i < cells.Count ? cells[i].Trim() : "";
            if (IocTypes.Parse(Cell(type)) is not { } t) { errors.Add(new IocImportError { Where = where, Code = BadType, Message = $"type '{Cell(type)}' is not one of ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, sha512" }); continue; }
            if (Normalize(t, Cell(value), out var why) is not { } n) { errors.Add(new IocImportError { Where = where, Code = BadValue, Message = why! }); continue; }
            long? expires = null;
            if (Cell(expiry) is { Length: > 0 } e)
            {
                if (!DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                { errors.Add(new IocImportError { Where = where, Code = BadValue, Message = $"expiry '{e}' is not an ISO 8601 date or time" }); continue; }
                expires = at.ToUnixTimeMilliseconds();
            }
            indicators.Add(new Indicator { Type = n.Type, Value = n.Value, Source = Cell(source) is { Length: > 0 } s ? s : defaultSource, ExpiresMs = expires, Ref = where });
        }
        return new(indicators, errors);
    }

    /// <summary>RFC 4180 rows (quoted cells may hold commas, quotes and line breaks), with the line each starts on.</summary>
    private static IEnumerable<(int Line, List<string> Cells)> CsvRows(string text)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1;
        var start = 1;
        var quoted = false;
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else { if (c == '\n') line++; cell.Append(c); }
                continue;
            }
            switch (c)
            {
                case '"' when cell.Length == 0: quoted = true; any = true; break;
                case ',': cells.Add(cell.ToString()); cell.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    cells.Add(cell.ToString()); cell.Clear();
                    if (any || cells.Any(x => x.Length > 0)) yield return (start, cells);
                    cells = []; any = false;
                    line++; start = line;
                    break;
                case '#' when cell.Length == 0 && cells.Count == 0: // comment line
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                default: cell.Append(c); any = true; break;
            }
        }
        cells.Add(cell.ToString());
        if (any || cells.Any(x => x.Length > 0)) yield return (start, cells);
    }

    // ---------------------------------------------------------------- STIX 2.1

    public static IocParseResult Stix(string json, string defaultSource)
    {
        var indicators = new List<Indicator>();
        var errors = new List<IocImportError>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e)
        {
            errors.Add(new IocImportError { Where = $"line {e.LineNumber + 1}", Code = "invalid_json", Message = "the bundle is not valid JSON: " + e.Message.Split(". Path")[0] });
            return new(indicators, errors);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var rt) || rt.GetString() != "bundle"
                || !root.TryGetProperty("objects", out var objects) || objects.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new IocImportError { Where = "bundle", Code = "not_a_bundle", Message = "a STIX 2.1 bundle is an object with type 'bundle' and an 'objects' array" });
                return new(indicators, errors);
            }
            var index = 0;
            foreach (var o in objects.EnumerateArray())
            {
                index++;
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("type", out var type) || type.GetString() != "indicator") continue;
                var id = o.TryGetProperty("id", out var idp) ? idp.GetString() ?? $"object {index}" : $"object {index}";
                var pattern = o.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : null;
                if (o.TryGetProperty("revoked", out var revoked) && revoked.ValueKind == JsonValueKind.True)
                { errors.Add(new IocImportError { Where = id, Code = Revoked, Message = "the indicator is revoked" }); continue; }
                if (o.TryGetProperty("pattern_type", out var pt) && pt.GetString() is { } patternType && patternType != "stix")
                { errors.Add(new IocImportError { Where = id, Code = BadPattern, Message = $"pattern_type '{patternType}' is not stix" }); continue; }
                if (pattern is null) { errors.Add(new IocImportError { Where = id, Code = BadPattern, Message = "the indicator has no pattern" }); continue; }
                long? expires = null;
                if (o.TryGetProperty("valid_until", out var vu) && vu.ValueKind == JsonValueKind.String)
                {
                    if (!DateTimeOffset.TryParse(vu.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var until))
                    { errors.Add(new IocImportError { Where = id, Code = BadValue, Message = $"valid_until '{vu.GetString()}' is not a timestamp" }); continue; }
                    expires = until.ToUnixTimeMilliseconds();
                }
                var name = o.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                var source = o.TryGetProperty("created_by_ref", out var cb) && cb.ValueKind == JsonValueKind.String ? cb.GetString()! : defaultSource;
                var parsed = StixPattern.Parse(pattern, out var error);
                if (parsed is null) { errors.Add(new IocImportError { Where = id, Code = BadPattern, Message = error! }); continue; }
                var bad = false;
                var mine = new List<Indicator>();
                foreach (var (t, value) in parsed)
                {
                    if (Normalize(t, value, out var why) is not { } norm) { errors.Add(new IocImportError { Where = id, Code = BadValue, Message = why! }); bad = true; break; }
                    mine.Add(new Indicator { Type = norm.Type, Value = norm.Value, Source = source, ExpiresMs = expires, Ref = id, Name = name });
                }
                if (!bad) indicators.AddRange(mine);
            }
        }
        return new(indicators, errors);
    }
}

/// <summary>
/// The subset of the STIX 2.1 patterning language Redoubt matches: observation expressions
/// `[comparison (OR comparison)*]` joined by OR, where a comparison is `object-path = 'string'` on
/// ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value or file:hashes.(MD5|SHA-1|SHA-256|SHA-512).
/// </summary>
public static class StixPattern
{
    public static List<(IocType, string)>? Parse(string pattern, out string? error)
    {
        error = null;
        var result = new List<(IocType, string)>();
        var p = pattern.AsSpan();
        var i = 0;
        var expectObservation = true;
        while (true)
        {
            Skip(p, ref i);
            if (i >= p.Length) break;
            if (!expectObservation)
            {
                if (!Word(p, ref i, "OR")) return Fail(out error, $"only OR may join observations (at column {i + 1}: '{Rest(p, i)}')");
                expectObservation = true;
                continue;
            }
            if (p[i] != '[') return Fail(out error, $"expected '[' at column {i + 1}");
            i++;
            var expectComparison = true;
            while (true)
            {
                Skip(p, ref i);
                if (i >= p.Length) return Fail(out error, "unclosed '['");
                if (p[i] == ']') { if (expectComparison) return Fail(out error, "empty observation"); i++; break; }
                if (!expectComparison)
                {
                    if (!Word(p, ref i, "OR")) return Fail(out error, $"only OR may join comparisons inside [ ] (at column {i + 1}: '{Rest(p, i)}')");
                    expectComparison = true;
                    continue;
                }
                var pathStart = i;
                while (i < p.Length && !char.IsWhiteSpace(p[i]) && p[i] is not ('=' or '!' or '<' or '>' or ']')) i++;
                var path = p[pathStart..i].ToString();
                Skip(p, ref i);
                if (i >= p.Length || p[i] != '=' || (i + 1 < p.Length && p[i + 1] == '='))
                    return Fail(out error, $"only '=' comparisons are supported (at column {i + 1}: '{Rest(p, i)}')");
                i++;
                Skip(p, ref i);
                if (i >= p.Length || p[i] != '\'') return Fail(out error, $"expected a quoted string at column {i + 1}");
                i++;
                var value = new StringBuilder();
                while (i < p.Length && p[i] != '\'')
                {
                    if (p[i] == '\\' && i + 1 < p.Length) i++;
                    value.Append(p[i++]);
                }
                if (i >= p.Length) return Fail(out error, "unclosed string");
                i++;
                if (TypeOf(path) is not { } type) return Fail(out error, $"object path '{path}' is not one Redoubt matches (ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, file:hashes.MD5/SHA-1/SHA-256/SHA-512)");
                result.Add((type, value.ToString()));
                expectComparison = false;
            }
            expectObservation = false;
        }
        if (expectObservation) return Fail(out error, result.Count == 0 ? "empty pattern" : "pattern ends with OR");
        return result;
    }

    private static IocType? TypeOf(string path) => path.ToLowerInvariant() switch
    {
        "ipv4-addr:value" => IocType.Ipv4,
        "ipv6-addr:value" => IocType.Ipv6,
        "domain-name:value" => IocType.Domain,
        "url:value" => IocType.Url,
        "file:hashes.md5" or "file:hashes.'md5'" => IocType.Md5,
        "file:hashes.'sha-1'" or "file:hashes.sha1" or "file:hashes.'sha1'" => IocType.Sha1,
        "file:hashes.'sha-256'" or "file:hashes.sha256" or "file:hashes.'sha256'" => IocType.Sha256,
        "file:hashes.'sha-512'" or "file:hashes.sha512" or "file:hashes.'sha512'" => IocType.Sha512,
        _ => null,
    };

    private static List<(IocType, string)>? Fail(out string? error, string message) { error = message; return null; }
    private static void Skip(ReadOnlySpan<char> p, ref int i) { while (i < p.Length && char.IsWhiteSpace(p[i])) i++; }
    private static string Rest(ReadOnlySpan<char> p, int i) => p[i..Math.Min(p.Length, i + 20)].ToString();

    private static bool Word(ReadOnlySpan<char> p, ref int i, string word)
    {
        if (i + word.Length > p.Length || !p.Slice(i, word.Length).SequenceEqual(word)) return false;
        if (i + word.Length < p.Length && !char.IsWhiteSpace(p[i + word.Length]) && p[i + word.Length] != '[') return false;
        i += word.Length;
        return true;
    }
}
