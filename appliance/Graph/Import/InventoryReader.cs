using System.Text;
using System.Text.Json;
using nietras.SeparatedValues;

namespace Redoubt.Graph.Import;

/// <summary>One row of an inventory file: the line it starts on and its cells by canonical column name.</summary>
public sealed record InventoryRow(int Line, Dictionary<string, string> Cells);

/// <summary>A row (or the file) that could not be read or was refused: its line, a stable code, the reason.</summary>
public sealed record InventoryError(int Line, string Code, string Message);

/// <summary>
/// Reads an inventory file, CSV (RFC 4180, a header row; Sep, unescaping quotes, so a quoted cell may hold
/// commas and line breaks) or JSON (an array of flat objects; a list may be a JSON array). A row that
/// cannot be read is an error with its line; the others are returned. A file that cannot be read at all
/// (no header, JSON that is not an array) is one error at line 0 or where it broke.
/// </summary>
public static class InventoryReader
{
    public static (List<InventoryRow> Rows, List<InventoryError> Errors) Read(string kind, string text, bool json)
    {
        var rows = new List<InventoryRow>();
        var errors = new List<InventoryError>();
        if (json) Json(kind, text, rows, errors);
        else Csv(kind, text, rows, errors);
        return (rows, errors);
    }

    /// <summary>JSON when the first non-blank character opens an array or object; CSV otherwise.</summary>
    public static bool LooksLikeJson(string text)
    {
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == '\uFEFF') continue;
            return c is '[' or '{';
        }
        return false;
    }

    private static void Csv(string kind, string text, List<InventoryRow> rows, List<InventoryError> errors)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        SepReader reader;
        try
        {
            reader = Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = true, Sep = new Sep(',') }).FromText(text);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            errors.Add(new InventoryError(1, "bad_header", "the header row cannot be read: " + e.Message));
            return;
        }
        using (reader)
        {
            if (reader.Header.IsEmpty)
            {
                errors.Add(new InventoryError(1, "no_header", "the file is empty: a CSV import starts with a header row naming its columns"));
                return;
            }
            var columns = reader.Header.ColNames.Select(h => InventoryKinds.Column(kind, h)).ToArray();
            var duplicate = columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1 && g.Key.Length > 0);
            if (duplicate is not null)
            {
                errors.Add(new InventoryError(1, "duplicate_column", $"the header names column '{duplicate.Key}' twice (or two of its aliases)"));
                return;
            }
            while (true)
            {
                int line;
                try
                {
                    if (!reader.MoveNext()) break;
                }
                catch (InvalidDataException e)
                {
                    errors.Add(new InventoryError(0, "bad_csv", "the rest of the file cannot be read: " + e.Message));
                    break;
                }
                var row = reader.Current;
                line = row.LineNumberFrom;
                if (row.ColCount == 1 && row[0].Span.Trim().IsEmpty) continue; // a blank line
                // Sep reads an unclosed quote to the end of the file; an odd number of quotes in the row's text says so.
                if (row.Span.Count('"') % 2 != 0)
                {
                    errors.Add(new InventoryError(line, "unterminated_quote", "a quoted cell is not closed: the rest of the file was read into it"));
                    break;
                }
                if (row.ColCount != columns.Length)
                {
                    errors.Add(new InventoryError(line, "column_count", $"{row.ColCount} cells, the header has {columns.Length} columns"));
                    continue;
                }
                var cells = new Dictionary<string, string>(StringComparer.Ordinal);
                string? tooLong = null;
                for (var i = 0; i < columns.Length; i++)
                {
                    var span = row[i].Span;
                    if (span.Length > InventoryKinds.MaxCellChars) { tooLong = columns[i]; break; }
                    if (columns[i].Length > 0) cells[columns[i]] = span.ToString();
                }
                if (tooLong is not null) errors.Add(new InventoryError(line, "cell_too_long", $"{tooLong}: longer than {InventoryKinds.MaxCellChars} characters"));
                else rows.Add(new InventoryRow(line, cells));
            }
        }
    }

    private static void Json(string kind, string text, List<InventoryRow> rows, List<InventoryError> errors)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 8 });
        var lineStarts = LineStarts(bytes);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                errors.Add(new InventoryError(1, "not_an_array", "a JSON import is an array of row objects"));
                return;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var line = LineOf(lineStarts, reader.TokenStartIndex);
                using var element = JsonDocument.ParseValue(ref reader);
                if (element.RootElement.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new InventoryError(line, "not_an_object", "a row is a JSON object of column: value"));
                    continue;
                }
                var cells = new Dictionary<string, string>(StringComparer.Ordinal);
                InventoryError? bad = null;
                foreach (var p in element.RootElement.EnumerateObject())
                {
                    var column = InventoryKinds.Column(kind, p.Name);
                    string? value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Number => p.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Null => null,
                        JsonValueKind.Array when p.Value.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
                            string.Join(';', p.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                        _ => "\0",
                    };
                    if (value == "\0") { bad = new InventoryError(line, "bad_value", $"{p.Name}: a string, number, boolean or list of strings"); break; }
                    if (value is null) continue;
                    if (value.Length > InventoryKinds.MaxCellChars) { bad = new InventoryError(line, "cell_too_long", $"{p.Name}: longer than {InventoryKinds.MaxCellChars} characters"); break; }
                    if (!cells.TryAdd(column, value)) { bad = new InventoryError(line, "duplicate_column", $"{p.Name}: column '{column}' given twice (or two of its aliases)"); break; }
                }
                if (bad is not null) errors.Add(bad);
                else rows.Add(new InventoryRow(line, cells));
            }
        }
        catch (JsonException e)
        {
            errors.Add(new InventoryError((int)(e.LineNumber ?? 0) + 1, "bad_json", $"not valid JSON from here on (byte {e.BytePositionInLine + 1} of the line): the rows before it are kept"));
        }
    }

    private static List<int> LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++) if (bytes[i] == '\n') starts.Add(i + 1);
        return starts;
    }

    private static int LineOf(List<int> starts, long offset)
    {
        var i = starts.BinarySearch((int)offset);
        return (i >= 0 ? i : ~i - 1) + 1;
    }
}
