using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MessagePack;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Forward;

/// <summary>What one forward message held: its events (with the bytes each came from) and the ack it asks for.</summary>
public sealed class DecodedFrame
{
    public List<EventRecord> Events { get; } = [];
    /// <summary>Bytes of the MessagePack entry each event came from, in step with <see cref="Events"/>.</summary>
    public List<int> EventBytes { get; } = [];
    /// <summary>The <c>chunk</c> option exactly as sent (MessagePack bytes), to echo in the ack; null when no ack is wanted.</summary>
    public byte[]? Chunk { get; set; }
    /// <summary>Why the message as a whole is not a forward message (the connection is then closed).</summary>
    public string? Error { get; set; }
    /// <summary>A nil message: the protocol's heartbeat, nothing to store.</summary>
    public bool Heartbeat { get; set; }
    public string Mode { get; set; } = "";
    /// <summary>
    /// Undecodable entries past <see cref="ForwardDecoder.MaxBrokenEntriesPerMessage"/> that are not
    /// events of their own: the last event of <see cref="Events"/> reports them (count, reasons, raw start).
    /// </summary>
    public long DroppedEntries { get; set; }
}

/// <summary>
/// Decodes one forward-protocol message (Fluentd Forward Protocol Specification v1) into events:
/// Message <c>[tag, time, record, option?]</c>, Forward <c>[tag, [[time, record]…], option?]</c>,
/// PackedForward <c>[tag, bin(entries), option?]</c> and CompressedPackedForward (option
/// <c>compressed: "gzip"</c>; the entries are gzip, possibly several members). Time is EventTime
/// (ext type 0), integer or float seconds, or Fluent Bit's <c>[time, metadata]</c>; 0 or nil means now.
/// A message whose shape is wrong is reported in <see cref="DecodedFrame.Error"/>; an entry whose
/// shape is wrong becomes an event marked parse-error holding the entry's bytes, and the rest is kept
/// (past <see cref="MaxBrokenEntriesPerMessage"/> in one message, one more event reports the rest).
/// Decoding follows MessagePack's untrusted-data settings, with a bounded depth and inflated size.
/// </summary>
public sealed class ForwardDecoder(int maxDecompressedBytes, int maxRecordBytes, TimeProvider clock)
{
    /// <summary>Raw bytes kept with an event that could not be decoded (the start of them).</summary>
    public const int MaxRawBytes = 64 * 1024;
    /// <summary>
    /// Undecodable entries of one message stored as an event each. Past this, the rest are counted
    /// and reported together by one more parse-error event (how many, why, the start of their bytes),
    /// so a 1 MB message of a million nils cannot become a million events. Good entries are all kept.
    /// </summary>
    public const int MaxBrokenEntriesPerMessage = 100;
    private static readonly MessagePackSecurity Security = MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(64);

    private readonly ArrayBufferWriter<byte> _json = new(4096);

    public DecodedFrame Decode(in ReadOnlySequence<byte> frame, string listener, string? sender)
    {
        var result = new DecodedFrame();
        var context = new Context(listener, sender, clock.GetUtcNow().ToUnixTimeMilliseconds());
        var reader = new MessagePackReader(frame);
        try
        {
            if (reader.TryReadNil())
            {
                result.Heartbeat = true;
                return result;
            }
            if (reader.NextMessagePackType != MessagePackType.Array)
                return Fail(result, $"a forward message is an array; this one starts with a {TypeName(reader.NextMessagePackType)}");
            var length = reader.ReadArrayHeader();
            if (length == 0) return Fail(result, "a forward message has 2 to 4 elements; this one is empty");
            if (reader.NextMessagePackType != MessagePackType.String)
                return Fail(result, $"the tag must be a string, found a {TypeName(reader.NextMessagePackType)}");
            context.Tag = reader.ReadString() ?? "";
            if (context.Tag is "PING" or "HELO" or "PONG")
                return Fail(result, $"handshake message {context.Tag} where events were expected (is a shared key set on the client but not here?)");
            if (length is < 2 or > 4)
                return Fail(result, $"a forward message has 2 to 4 elements; this one has {length}");

            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    result.Mode = "forward";
                    if (length > 3) return Fail(result, "a Forward-mode message has at most 3 elements");
                    var count = reader.ReadArrayHeader();
                    for (var i = 0; i < count; i++) DecodeEntry(ref reader, context, result);
                    if (length == 3 && !ReadOption(ref reader, result, out _)) return result;
                    break;

                case MessagePackType.String or MessagePackType.Binary:
                    if (length > 3) return Fail(result, "a PackedForward message has at most 3 elements");
                    var entries = reader.NextMessagePackType == MessagePackType.String
                        ? reader.ReadStringSequence()!.Value
                        : reader.ReadBytes()!.Value;
                    string? compressed = null;
                    if (length == 3 && !ReadOption(ref reader, result, out compressed)) return result;
                    if (compressed is null or "text")
                    {
                        result.Mode = "packed-forward";
                        DecodeStream(entries, context, result);
                    }
                    else if (compressed == "gzip")
                    {
                        result.Mode = "compressed-packed-forward";
                        if (Inflate(entries, out var inflated, out var inflatedLength) is { } inflateError) return Fail(result, inflateError);
                        // Every event copies what it keeps (strings, JsonUtf8, Raw), so the pooled buffer can go back at once.
                        try { DecodeStream(new ReadOnlySequence<byte>(inflated, 0, inflatedLength), context, result); }
                        finally { ArrayPool<byte>.Shared.Return(inflated); }
                    }
                    else return Fail(result, $"unsupported compression '{compressed}' (only gzip)");
                    break;

                default:
                    result.Mode = "message";
                    if (length < 3) return Fail(result, "a Message-mode message is [tag, time, record, option?]");
                    var start = reader.Position;
                    DecodeEvent(ref reader, context, result, start, frame);
                    if (length == 4 && !ReadOption(ref reader, result, out _)) return result;
                    break;
            }
            if (!reader.End) return Fail(result, "bytes left over after the message");
            context.ReportDropped(result);
            return result;
        }
        catch (Exception e) when (IsDecodeError(e))
        {
            return Fail(result, "not valid MessagePack: " + e.Message);
        }
    }

    private static DecodedFrame Fail(DecodedFrame result, string error)
    {
        result.Error = error;
        result.Events.Clear();
        result.EventBytes.Clear();
        result.Chunk = null;
        return result;
    }

    /// <summary>Reads the option map: keeps <c>chunk</c> (to ack) and <c>compressed</c>; the rest (size, Fluent Bit's fluent_signal…) is ignored.</summary>
    private static bool ReadOption(ref MessagePackReader reader, DecodedFrame result, out string? compressed)
    {
        compressed = null;
        if (reader.TryReadNil()) return true;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            Fail(result, $"the option must be a map, found a {TypeName(reader.NextMessagePackType)}");
            return false;
        }
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var key = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
            if (key is null) { reader.Skip(); reader.Skip(); continue; }
            if (key == "chunk" && reader.NextMessagePackType is MessagePackType.String or MessagePackType.Binary)
                result.Chunk = reader.ReadRaw().ToArray();
            else if (key == "compressed" && reader.NextMessagePackType == MessagePackType.String)
                compressed = reader.ReadString();
            else reader.Skip();
        }
        return true;
    }

    /// <summary>PackedForward: entries back to back. A broken tail is kept raw as one parse-error event.</summary>
    private void DecodeStream(in ReadOnlySequence<byte> entries, Context context, DecodedFrame result)
    {
        var reader = new MessagePackReader(entries);
        while (!reader.End)
        {
            var start = reader.Position;
            try { DecodeEntry(ref reader, context, result); }
            catch (Exception e) when (IsDecodeError(e))
            {
                AddBroken(context, result, entries.Slice(start), "packed entries are not valid MessagePack: " + e.Message);
                return;
            }
        }
    }

    /// <summary>One <c>[time, record]</c> entry (Forward and PackedForward).</summary>
    private void DecodeEntry(ref MessagePackReader reader, Context context, DecodedFrame result)
    {
        var start = reader.Position;
        var whole = reader.Sequence;
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            reader.Skip();
            AddBroken(context, result, whole.Slice(start, reader.Position), "an entry is [time, record]; this one is not an array");
            return;
        }
        var length = reader.ReadArrayHeader();
        if (length != 2)
        {
            for (var i = 0; i < length; i++) reader.Skip();
            AddBroken(context, result, whole.Slice(start, reader.Position), $"an entry is [time, record]; this one has {length} elements");
            return;
        }
        DecodeEvent(ref reader, context, result, start, whole);
    }

    /// <summary>Time then record, at the reader; <paramref name="start"/> is where the whole entry began (for raw bytes).</summary>
    private void DecodeEvent(ref MessagePackReader reader, Context context, DecodedFrame result, SequencePosition start, in ReadOnlySequence<byte> whole)
    {
        var timeError = ReadTime(ref reader, context.NowMs, out var timeMs);
        if (timeError is not null && timeMs < 0)
        {
            reader.Skip(); // the record
            AddBroken(context, result, whole.Slice(start, reader.Position), timeError);
            return;
        }
        if (reader.TryReadNil()) return; // Fluentd skips nil records (its heartbeat form); nothing was sent
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            var what = TypeName(reader.NextMessagePackType);
            reader.Skip();
            AddBroken(context, result, whole.Slice(start, reader.Position), $"the record must be a map, found a {what}");
            return;
        }

        var recordStart = reader.Position;
        _json.ResetWrittenCount();
        var lifted = LiftedFields.Empty;
        using (var json = new Utf8JsonWriter(_json, new JsonWriterOptions { SkipValidation = true }))
        {
            RecordJson.WriteRecord(ref reader, json, Security, ref lifted);
        }
        var entry = whole.Slice(start, reader.Position);
        var record = whole.Slice(recordStart, reader.Position);
        if (_json.WrittenCount > maxRecordBytes)
        {
            AddBroken(context, result, record,
                $"record of {_json.WrittenCount} bytes as JSON exceeds the {maxRecordBytes}-byte limit (Ingest:MaxLineBytes)", EventFlags.Truncated);
            return;
        }

        var e = context.NewEvent(timeMs < 0 ? context.NowMs : timeMs);
        e.Host = lifted.Host;
        e.App = lifted.App ?? context.Tag;
        e.Message = lifted.Message;
        e.Json = Encoding.UTF8.GetString(_json.WrittenSpan);
        // The writer does not validate what it copies: keep the bytes only when they are what the string encodes to.
        if (System.Text.Unicode.Utf8.IsValid(_json.WrittenSpan)) e.JsonUtf8 = _json.WrittenSpan.ToArray();
        if (timeError is not null)
        {
            e.Flags |= EventFlags.ParseError;
            e.ParseError = timeError;
        }
        if (lifted.InvalidUtf8)
        {
            e.Flags |= EventFlags.InvalidUtf8;
            e.Raw = Cut(record, out var cut);
            if (cut) e.Flags |= EventFlags.Truncated;
        }
        result.Events.Add(e);
        result.EventBytes.Add((int)entry.Length);
    }

    /// <summary>
    /// Event time in Unix ms. Returns an error text when the time is unusable: with
    /// <paramref name="timeMs"/> &lt; 0 when the entry cannot be read as an event at all, or with the
    /// receive time when the value was a time but out of range (the event is kept, marked).
    /// </summary>
    private static string? ReadTime(ref MessagePackReader reader, long nowMs, out long timeMs)
    {
        timeMs = -1;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                timeMs = nowMs;
                return null;
            case MessagePackType.Integer:
                var seconds = reader.NextCode == MessagePackCode.UInt64 ? (double)reader.ReadUInt64() : reader.ReadInt64();
                return FromSeconds(seconds, nowMs, out timeMs);
            case MessagePackType.Float:
                return FromSeconds(reader.ReadDouble(), nowMs, out timeMs);
            case MessagePackType.Extension:
                var header = reader.ReadExtensionFormatHeader();
                if (header.TypeCode == 0 && header.Length == 8)
                {
                    Span<byte> eight = stackalloc byte[8];
                    reader.ReadRaw(8).CopyTo(eight);
                    timeMs = ForwardTime.FromEventTime(eight).ToUnixTimeMilliseconds();
                    if (timeMs == 0) timeMs = nowMs;
                    return null;
                }
                if (header.TypeCode == -1)
                {
                    timeMs = new DateTimeOffset(reader.ReadDateTime(header)).ToUnixTimeMilliseconds();
                    return null;
                }
                reader.ReadRaw(header.Length);
                return $"time is an extension of type {header.TypeCode}, not EventTime (type 0)";
            case MessagePackType.Array:
                // Fluent Bit 2.1+: [[time, metadata], record].
                var n = reader.ReadArrayHeader();
                if (n == 0) return "time is an empty array";
                var error = ReadTime(ref reader, nowMs, out timeMs);
                for (var i = 1; i < n; i++) reader.Skip();
                return error;
            default:
                var what = TypeName(reader.NextMessagePackType);
                reader.Skip();
                return $"time must be EventTime or seconds, found a {what}";
        }
    }

    private static string? FromSeconds(double seconds, long nowMs, out long timeMs)
    {
        if (seconds == 0) { timeMs = nowMs; return null; } // Fluentd: 0 means "now"
        if (double.IsFinite(seconds) && seconds > 0 && seconds < 253402300800)
        {
            timeMs = (long)Math.Round(seconds * 1000);
            return null;
        }
        timeMs = nowMs;
        return $"time {seconds} is out of range; the receive time was used";
    }

    /// <summary>
    /// Inflates CompressedPackedForward entries (every gzip member), refusing past the limit, into a
    /// buffer rented from the shared pool (the caller returns it): gzip writes straight into it and it
    /// grows by doubling, instead of a MemoryStream that doubled, then was copied out with ToArray
    /// (~2.8 MB of large-object arrays per 500-record message, 5.7 KB per event: perf/RESULTS.md).
    /// </summary>
    private string? Inflate(in ReadOnlySequence<byte> compressed, out byte[] inflated, out int length)
    {
        var input = compressed.IsSingleSegment ? compressed.First : compressed.ToArray();
        // One byte past the limit is how a stream that inflates past it is told apart from one that fills it exactly.
        var cap = (int)Math.Min(Array.MaxLength, maxDecompressedBytes + 1L);
        var output = ArrayPool<byte>.Shared.Rent((int)Math.Min(cap, Math.Max(4096, input.Length * 4L)));
        length = 0;
        try
        {
            using var source = new ReadOnlyMemoryStream(input);
            using var gzip = new GZipStream(source, CompressionMode.Decompress);
            while (true)
            {
                if (length == output.Length)
                {
                    // length <= the limit here (it was checked after the read), so the doubled size is larger.
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(cap, 2L * output.Length));
                    output.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = bigger;
                }
                var read = gzip.Read(output, length, output.Length - length);
                if (read == 0) break;
                length += read;
                if (length > maxDecompressedBytes)
                    return Refuse($"compressed entries inflate past {maxDecompressedBytes} bytes (Forward:MaxDecompressedBytes)", out inflated, ref output, out length);
            }
        }
        catch (InvalidDataException e) { return Refuse("compressed entries are not valid gzip: " + e.Message, out inflated, ref output, out length); }
        catch { ArrayPool<byte>.Shared.Return(output); throw; }
        inflated = output;
        return null;
    }

    private static string Refuse(string error, out byte[] inflated, ref byte[] output, out int length)
    {
        ArrayPool<byte>.Shared.Return(output);
        output = [];
        inflated = [];
        length = 0;
        return error;
    }

    private static void AddBroken(Context context, DecodedFrame result, in ReadOnlySequence<byte> raw, string reason, EventFlags extra = EventFlags.None)
    {
        if (context.BrokenEntries == MaxBrokenEntriesPerMessage)
        {
            context.Drop(raw, reason);
            return;
        }
        context.BrokenEntries++;
        var e = context.Broken(raw, reason);
        e.Flags |= extra;
        result.Events.Add(e);
        result.EventBytes.Add((int)Math.Min(int.MaxValue, raw.Length));
    }

    private static byte[] Cut(in ReadOnlySequence<byte> raw, out bool cut)
    {
        cut = raw.Length > MaxRawBytes;
        return (cut ? raw.Slice(0, MaxRawBytes) : raw).ToArray();
    }

    /// <summary>
    /// What the MessagePack reader throws on bytes that are not what they claim: bad codes, truncation,
    /// depth past the limit, and lengths past the end (MessagePack-CSharp slices, which throws
    /// ArgumentOutOfRangeException; found by the fuzz test).
    /// </summary>
    internal static bool IsDecodeError(Exception e) =>
        e is MessagePackSerializationException or EndOfStreamException or InsufficientExecutionStackException
            or OverflowException or ArgumentOutOfRangeException;

    internal static string TypeName(MessagePackType type) => type switch
    {
        MessagePackType.Integer => "number",
        MessagePackType.Float => "number",
        MessagePackType.Boolean => "boolean",
        MessagePackType.Nil => "nil",
        MessagePackType.String => "string",
        MessagePackType.Binary => "binary",
        MessagePackType.Array => "array",
        MessagePackType.Map => "map",
        MessagePackType.Extension => "extension",
        _ => "invalid byte",
    };

    /// <summary>Where the events of one message come from.</summary>
    private sealed class Context(string listener, string? sender, long nowMs)
    {
        public string Tag { get; set; } = "";
        public long NowMs { get; } = nowMs;
        /// <summary>Undecodable entries stored as events of their own so far.</summary>
        public int BrokenEntries { get; set; }

        private long _dropped, _droppedBytes;
        private ArrayBufferWriter<byte>? _droppedRaw;
        private Dictionary<string, long>? _droppedReasons;

        /// <summary>An undecodable entry past the limit: counted, its reason tallied, its bytes kept up to <see cref="MaxRawBytes"/> in all.</summary>
        public void Drop(in ReadOnlySequence<byte> raw, string reason)
        {
            _dropped++;
            _droppedBytes += raw.Length;
            _droppedRaw ??= new ArrayBufferWriter<byte>(1024);
            var room = MaxRawBytes - _droppedRaw.WrittenCount;
            if (room > 0)
            {
                var take = raw.Length > room ? raw.Slice(0, room) : raw;
                take.CopyTo(_droppedRaw.GetSpan((int)take.Length));
                _droppedRaw.Advance((int)take.Length);
            }
            _droppedReasons ??= new Dictionary<string, long>(StringComparer.Ordinal);
            // A few distinct reasons are enough to say why; a message of varied junk must not grow this without end.
            if (_droppedReasons.ContainsKey(reason) || _droppedReasons.Count < 16)
                _droppedReasons[reason] = _droppedReasons.GetValueOrDefault(reason) + 1;
        }

        /// <summary>Adds the one event that stands for every dropped entry, if any were.</summary>
        public void ReportDropped(DecodedFrame result)
        {
            if (_dropped == 0) return;
            var reasons = _droppedReasons!.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
            var listed = string.Join("; ", reasons.Take(3).Select(r => $"{r.Value} x {r.Key}"));
            var others = _dropped - reasons.Take(3).Sum(r => r.Value);
            var e = Broken(new ReadOnlySequence<byte>(_droppedRaw!.WrittenMemory),
                $"{_dropped} more undecodable entries of this message dropped: only the first {MaxBrokenEntriesPerMessage} " +
                "are stored as events of their own (ForwardDecoder.MaxBrokenEntriesPerMessage); why: " +
                listed + (others > 0 ? $"; {others} x other reasons" : "") +
                $"; raw holds the first {_droppedRaw.WrittenCount} of their {_droppedBytes} bytes, back to back");
            if (_droppedBytes > _droppedRaw.WrittenCount) e.Flags |= EventFlags.Truncated;
            result.Events.Add(e);
            result.EventBytes.Add((int)Math.Min(int.MaxValue, _droppedBytes));
            result.DroppedEntries = _dropped;
        }

        public EventRecord NewEvent(long timeMs) => new()
        {
            ReceivedAtMs = NowMs,
            TimeMs = timeMs,
            Transport = Transport.Forward,
            Source = listener,
            Sender = sender,
            Format = "json",
            Fields = new Dictionary<string, string>(1, StringComparer.Ordinal) { ["tag"] = Tag },
        };

        /// <summary>An entry that is not an event: kept raw, marked, with the reason.</summary>
        public EventRecord Broken(in ReadOnlySequence<byte> raw, string reason)
        {
            var e = NewEvent(NowMs);
            e.App = Tag.Length > 0 ? Tag : null;
            e.Format = "msgpack";
            e.Flags = EventFlags.ParseError;
            e.ParseError = reason;
            e.Raw = Cut(raw, out var cut);
            if (cut) e.Flags |= EventFlags.Truncated;
            return e;
        }
    }

    /// <summary>A read-only stream over memory, so gzip can read a slice of the frame without a copy.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
