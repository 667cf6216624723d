using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using nietras.SeparatedValues;

namespace Redoubt.Graph.Import;

/// <summary>One row of an inventory file: the line it starts on and its cells by canonical column name.</summary>
public sealed record InventoryRow(int Line, Dictionary<string, string> Cells);

/// <summary>A row (or the file) that could not be read or was refused: its line, a stable code, the reason.</summary>
public sealed record InventoryError(int Line, string Code, string Message);

/// <summary>What reading yields, in file order: a row, a refused row, or (last) why reading stopped before the end.</summary>
public readonly record struct InventoryRead(InventoryRow? Row, InventoryError? Error, bool Stop);

/// <summary>The read limits of one import (<see cref="ImportOptions"/>).</summary>
public sealed record InventoryLimits(int MaxRows, int MaxRowChars, int MaxColumns)
{
    public static readonly InventoryLimits Default = new(new ImportOptions().MaxRows, new ImportOptions().MaxRowChars, new ImportOptions().MaxColumns);
    public static InventoryLimits Of(ImportOptions o) => new(o.MaxRows, o.MaxRowChars, o.MaxColumns);
}

/// <summary>
/// Reads an inventory file as a stream, row by row, holding about one row at a time: CSV (RFC 4180,
/// a header row; Sep, unescaping quotes, so a quoted cell may hold commas and line breaks) or JSON (an
/// array of flat objects; a list may be a JSON array). A row that cannot be read is an error with its
/// line and reading goes on; what makes the rest unreadable (no header, JSON that is not an array or
/// breaks, an unclosed quote, a row over <see cref="InventoryLimits.MaxRowChars"/>, more rows than
/// <see cref="InventoryLimits.MaxRows"/>) is a last error with <see cref="InventoryRead.Stop"/>.
/// </summary>
public static class InventoryReader
{
    /// <summary>Reads a whole text (tests, tools): the rows and every error, the stopping one included.</summary>
    public static (List<InventoryRow> Rows, List<InventoryError> Errors) Read(string kind, string text, bool json, InventoryLimits? limits = null)
    {
        var rows = new List<InventoryRow>();
        var errors = new List<InventoryError>();
        var pipe = PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        // A MemoryStream completes every read synchronously: this never blocks on I/O.
        Collect(ReadAsync(kind, pipe, json, limits ?? InventoryLimits.Default, CancellationToken.None), rows, errors).GetAwaiter().GetResult();
        pipe.Complete();
        return (rows, errors);
    }

    private static async Task Collect(IAsyncEnumerable<InventoryRead> reads, List<InventoryRow> rows, List<InventoryError> errors)
    {
        await foreach (var r in reads)
        {
            if (r.Row is { } row) rows.Add(row);
            else errors.Add(r.Error!);
        }
    }

    /// <summary>
    /// Reads <paramref name="body"/> to its end (or the stopping error). Errors of the stream itself (a
    /// body over the server's limit, a client gone) are thrown, not yielded.
    /// </summary>
    public static IAsyncEnumerable<InventoryRead> ReadAsync(string kind, PipeReader body, bool json, InventoryLimits limits, CancellationToken cancellationToken) =>
        json ? JsonAsync(kind, body, limits, cancellationToken) : CsvAsync(kind, body, limits, cancellationToken);

    /// <summary>JSON when the first non-blank byte (after a UTF-8 BOM) opens an array or object; looks without consuming anything.</summary>
    public static async Task<bool> StartsLikeJsonAsync(PipeReader pipe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await pipe.ReadAsync(cancellationToken);
            var (found, isJson) = FirstByte(result.Buffer);
            pipe.AdvanceTo(result.Buffer.Start, found ? result.Buffer.Start : result.Buffer.End);
            if (found) return isJson;
            // Blank to the end, or for longer than any header: not JSON (the CSV reader says what it is).
            if (result.IsCompleted || result.Buffer.Length > 64 * 1024) return false;
        }
    }

    private static (bool Found, bool IsJson) FirstByte(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        // A UTF-8 BOM is skipped; the first bytes of one, not yet all there, wait for more.
        if (!reader.IsNext([0xEF, 0xBB, 0xBF], advancePast: true) && buffer.Length is > 0 and < 3 && buffer.FirstSpan[0] == 0xEF) return (false, false);
        while (reader.TryRead(out var b))
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return (true, b is (byte)'[' or (byte)'{');
        return (false, false);
    }

    // ---------------------------------------------------------------- CSV

    private static async IAsyncEnumerable<InventoryRead> CsvAsync(string kind, PipeReader pipe, InventoryLimits limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new RowBoundedReader(new StreamReader(pipe.AsStream(leaveOpen: true), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024), limits.MaxRowChars);
        SepReader? opened = null;
        InventoryError? fatal = null;
        try
        {
            opened = await Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = true, Sep = new Sep(',') }).FromAsync(text, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            fatal = new InventoryError(1, "bad_header", "the header row cannot be read: " + e.Message);
        }
        if (text.Fault is { Line: 1 } headerTooLong) fatal = headerTooLong;
        if (fatal is not null || opened is null)
        {
            opened?.Dispose();
            yield return new InventoryRead(null, fatal, Stop: true);
            yield break;
        }
        using var reader = opened;
        if (reader.Header.IsEmpty)
        {
            yield return Stop(1, "no_header", "the file is empty: a CSV import starts with a header row naming its columns");
            yield break;
        }
        if (reader.Header.ColNames.Count > limits.MaxColumns)
        {
            yield return Stop(1, "too_many_columns", $"the header names {reader.Header.ColNames.Count} columns, at most {limits.MaxColumns} (Import:MaxColumns)");
            yield break;
        }
        var columns = reader.Header.ColNames.Select(h => InventoryKinds.Column(kind, h)).ToArray();
        var duplicate = columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1 && g.Key.Length > 0);
        if (duplicate is not null)
        {
            yield return Stop(1, "duplicate_column", $"the header names column '{duplicate.Key}' twice (or two of its aliases)");
            yield break;
        }
        var rows = 0;
        while (true)
        {
            InventoryRead? stop = null;
            try
            {
                if (!await reader.MoveNextAsync(cancellationToken)) break;
            }
            catch (InvalidDataException e) { stop = Stop(0, "bad_csv", "the rest of the file cannot be read: " + e.Message); }
            if (stop is { } s)
            {
                yield return s;
                yield break;
            }
            // The text ended where a row grew too long: the rows before it are whole, that one is cut.
            if (text.Fault is { } tooLong && reader.Current.LineNumberFrom >= tooLong.Line)
            {
                yield return new InventoryRead(null, tooLong, Stop: true);
                yield break;
            }
            var read = CsvRow(reader.Current, columns);
            if (read is null) continue; // a blank line
            if (++rows > limits.MaxRows)
            {
                yield return Stop(read.Value.Row?.Line ?? read.Value.Error!.Line, "too_many_rows", $"more than {limits.MaxRows} rows (Import:MaxRows): this row and the rest of the file are not read");
                yield break;
            }
            yield return read.Value;
            if (read.Value.Stop) yield break;
        }
        if (text.Fault is { } cut) yield return new InventoryRead(null, cut, Stop: true);
    }

    /// <summary>One CSV row as a row or an error; null for a blank line.</summary>
    private static InventoryRead? CsvRow(SepReader.Row row, string[] columns)
    {
        var line = row.LineNumberFrom;
        if (row.ColCount == 1 && row[0].Span.Trim().IsEmpty) return null;
        // Sep reads an unclosed quote to the end of the file; an odd number of quotes in the row's text says so.
        if (row.Span.Count('"') % 2 != 0)
            return Stop(line, "unterminated_quote", "a quoted cell is not closed: the rest of the file was read into it");
        if (row.ColCount != columns.Length)
            return Refused(line, "column_count", $"{row.ColCount} cells, the header has {columns.Length} columns");
        var cells = new Dictionary<string, string>(columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < columns.Length; i++)
        {
            var span = row[i].Span;
            if (span.Length > InventoryKinds.MaxCellChars) return Refused(line, "cell_too_long", $"{columns[i]}: longer than {InventoryKinds.MaxCellChars} characters");
            if (columns[i].Length > 0) cells[columns[i]] = span.ToString();
        }
        return new InventoryRead(new InventoryRow(line, cells), null, false);
    }

    private static InventoryRead Stop(int line, string code, string message) => new(null, new InventoryError(line, code, message), Stop: true);
    private static InventoryRead Refused(int line, string code, string message) => new(null, new InventoryError(line, code, message), Stop: false);

    /// <summary>
    /// Passes text through to the CSV reader while counting each row's characters (a row ends at a line
    /// break outside quotes): Sep grows its buffer to hold a whole row, so an unclosed quote or a
    /// line-break-free file would otherwise be read into memory whole. The chunk that crosses the limit
    /// is handed over up to that point and the text ends there (<see cref="Fault"/> says why), so every
    /// complete row before the long one is still read.
    /// </summary>
    private sealed class RowBoundedReader(TextReader inner, int maxRowChars) : TextReader
    {
        private bool _inQuotes;
        private int _rowChars;
        private int _line = 1, _rowLine = 1;
        private InventoryError? _fault;

        /// <summary>Why the text was cut short (a row over the limit), or null.</summary>
        public InventoryError? Fault => _fault;

        public override int Read(Span<char> buffer) => _fault is not null ? 0 : Count(buffer[..inner.Read(buffer)]);

        public override async ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default)
        {
            if (_fault is not null) return 0;
            var n = await inner.ReadAsync(buffer, cancellationToken);
            return Count(buffer.Span[..n]);
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));
        public override Task<int> ReadAsync(char[] buffer, int index, int count) => ReadAsync(buffer.AsMemory(index, count)).AsTask();
        public override int Peek() => -1; // no look-ahead: Sep reads blocks
        public override int Read() => throw new NotSupportedException("read in blocks");

        private int Count(ReadOnlySpan<char> read)
        {
            var i = 0;
            while (i < read.Length)
            {
                // Jump to the next quote or line break: between them every character just counts.
                var next = read[i..].IndexOfAny('"', '\n');
                var run = next < 0 ? read.Length - i : next;
                if (_rowChars + run > maxRowChars)
                {
                    _fault = new InventoryError(_rowLine, "row_too_long", $"a row longer than {maxRowChars} characters (Import:MaxRowChars; an unclosed quote reads on to the end): this row and the rest of the file are not read");
                    return i + (maxRowChars - _rowChars);
                }
                _rowChars += run;
                i += run;
                if (next < 0) break;
                var c = read[i++];
                if (c == '"') { _inQuotes = !_inQuotes; _rowChars++; }
                else
                {
                    _line++;
                    if (_inQuotes) _rowChars++;
                    else { _rowChars = 0; _rowLine = _line; }
                }
            }
            return read.Length;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    // ---------------------------------------------------------------- JSON

    /// <summary>Where the JSON reading is between two buffers of the pipe.</summary>
    private sealed class JsonProgress
    {
        public JsonReaderState State = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 8 });
        public bool Started, Done, BomChecked;
        /// <summary>The line at the pipe's consumed position, and where the row not yet complete in the buffer starts (0: none).</summary>
        public int Line = 1, PendingLine;
        public int Rows;
    }

    private static async IAsyncEnumerable<InventoryRead> JsonAsync(string kind, PipeReader pipe, InventoryLimits limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var progress = new JsonProgress();
        var reads = new List<InventoryRead>();
        while (!progress.Done)
        {
            var result = await pipe.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = Step(kind, buffer, result.IsCompleted, progress, limits, reads);
            pipe.AdvanceTo(consumed, buffer.End);
            foreach (var r in reads) yield return r;
            reads.Clear();
            if (progress.Done) yield break;
            if (result.IsCompleted)
            {
                // The buffer ended inside a value: a truncated file.
                yield return Stop(progress.PendingLine > 0 ? progress.PendingLine : progress.Line, "bad_json", "the file ends inside a row (truncated?): the rows before it are kept");
                yield break;
            }
            if (buffer.Slice(consumed).Length > limits.MaxRowChars + 64 * 1024)
            {
                yield return Stop(progress.PendingLine > 0 ? progress.PendingLine : progress.Line, "row_too_long", $"a row longer than {limits.MaxRowChars} bytes (Import:MaxRowChars): this row and the rest of the file are not read");
                yield break;
            }
        }
    }

    /// <summary>Reads every complete row of <paramref name="buffer"/> into <paramref name="reads"/>; returns how far it got.</summary>
    private static SequencePosition Step(string kind, ReadOnlySequence<byte> buffer, bool final, JsonProgress p, InventoryLimits limits, List<InventoryRead> reads)
    {
        if (!p.BomChecked)
        {
            if (buffer.Length < 3 && !final) return buffer.Start;
            p.BomChecked = true;
            var bom = new SequenceReader<byte>(buffer);
            if (bom.IsNext([0xEF, 0xBB, 0xBF], advancePast: true)) buffer = buffer.Slice(3);
        }
        var reader = new Utf8JsonReader(buffer, final, p.State);
        var firstLine = p.Line; // the reader's own line numbers count from here
        long consumedAt = 0;
        var elementLine = 0;
        try
        {
            if (!p.Started)
            {
                if (!reader.Read()) return buffer.Start;
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reads.Add(Stop(1, "not_an_array", "a JSON import is an array of row objects"));
                    p.Done = true;
                    return buffer.End;
                }
                p.Started = true;
                consumedAt = reader.BytesConsumed;
                p.State = reader.CurrentState;
            }
            while (true)
            {
                var checkpoint = reader;
                if (!reader.Read()) break;
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    p.Done = true;
                    return buffer.End;
                }
                var start = reader.TokenStartIndex;
                elementLine = p.Line + Lines(buffer.Slice(consumedAt, start - consumedAt));
                if (!JsonDocument.TryParseValue(ref reader, out var element))
                {
                    reader = checkpoint;
                    p.PendingLine = elementLine;
                    elementLine = 0;
                    break;
                }
                var end = reader.BytesConsumed;
                using (element)
                {
                    var read = end - start > limits.MaxRowChars
                        ? Refused(elementLine, "row_too_long", $"a row of {end - start} bytes, at most {limits.MaxRowChars} (Import:MaxRowChars)")
                        : JsonRowChecked(kind, element.RootElement, elementLine, limits);
                    if (++p.Rows > limits.MaxRows)
                    {
                        reads.Add(Stop(elementLine, "too_many_rows", $"more than {limits.MaxRows} rows (Import:MaxRows): this row and the rest of the file are not read"));
                        p.Done = true;
                        return buffer.End;
                    }
                    reads.Add(read);
                }
                p.Line = elementLine + Lines(buffer.Slice(start, end - start));
                consumedAt = end;
                p.State = reader.CurrentState;
                p.PendingLine = elementLine = 0;
            }
        }
        catch (JsonException e)
        {
            // Inside a row: that row's line (nothing from it on is stored); between rows: where it broke.
            var at = elementLine > 0 ? elementLine : p.Line + Lines(buffer.Slice(consumedAt, Math.Min(buffer.Length, reader.BytesConsumed) - consumedAt)) ;
            var where = firstLine + (int)(e.LineNumber ?? 0);
            reads.Add(Stop(at, "bad_json", $"not valid JSON from line {where} on (byte {e.BytePositionInLine + 1} of the line): the rows before it are kept"));
            p.Done = true;
            return buffer.End;
        }
        return buffer.GetPosition(consumedAt);
    }

    private static int Lines(ReadOnlySequence<byte> bytes)
    {
        var n = 0;
        foreach (var segment in bytes) n += segment.Span.Count((byte)'\n');
        return n;
    }

    private static InventoryRead JsonRowChecked(string kind, JsonElement row, int line, InventoryLimits limits)
    {
        try { return JsonRow(kind, row, line, limits); }
        catch (Exception e) when (Redoubt.Api.JsonText.IsInvalidString(e)) { return Refused(line, Redoubt.Api.JsonText.Code, Redoubt.Api.JsonText.Message); }
    }

    private static InventoryRead JsonRow(string kind, JsonElement row, int line, InventoryLimits limits)
    {
        if (row.ValueKind != JsonValueKind.Object) return Refused(line, "not_an_object", "a row is a JSON object of column: value");
        var cells = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in row.EnumerateObject())
        {
            if (cells.Count >= limits.MaxColumns) return Refused(line, "too_many_columns", $"more than {limits.MaxColumns} fields (Import:MaxColumns)");
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
            if (value == "\0") return Refused(line, "bad_value", $"{p.Name}: a string, number, boolean or list of strings");
            if (value is null) continue;
            if (value.Length > InventoryKinds.MaxCellChars) return Refused(line, "cell_too_long", $"{p.Name}: longer than {InventoryKinds.MaxCellChars} characters");
            if (!cells.TryAdd(column, value)) return Refused(line, "duplicate_column", $"{p.Name}: column '{column}' given twice (or two of its aliases)");
        }
        return new InventoryRead(new InventoryRow(line, cells), null, false);
    }
}
