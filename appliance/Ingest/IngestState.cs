using System.Buffers;
using MessagePack;
using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest;

/// <summary>
/// The ingest state the event log keeps beside itself (<see cref="ILogState"/>): sources' first and
/// last-seen times (<see cref="SourceHistory"/>, poured into the <see cref="SourceTable"/> at open) and
/// the NDJSON idempotency keys. Both are folds of the committed events, so the log checkpoints them
/// with the address they cover and an open replays only the events after it (docs/storage.md, Recovery).
/// </summary>
public sealed class IngestState(SourceHistory history, IdempotencyKeys keys, SourceTable table) : ILogState
{
    /// <summary>Payload layout version (inside the checkpoint file's own version).</summary>
    private const int Version = 1;

    public void Observe(long id, EventRecord e)
    {
        history.Observe(e);
        keys.Observe(id, e);
    }

    public ILogStateSnapshot Capture() => new Snapshot(history.Capture(), keys.Capture());

    public void Load(ReadOnlyMemory<byte> saved)
    {
        var (sources, known) = Read(saved);
        history.Load(sources);
        keys.Load(known);
    }

    public void Clear()
    {
        history.Clear();
        keys.Clear();
    }

    public void Recovered()
    {
        foreach (var mark in history.Capture()) table.Restore(mark);
    }

    /// <summary>
    /// MessagePack: [version, [[key, first, last, address, listener]…], [[key, sha256, storedAt, ids]…], pending].
    /// Ids are written as the first and then differences (successive addresses: one to three bytes each).
    /// </summary>
    private sealed class Snapshot(SourceMark[] sources, KeysSnapshot keys) : ILogStateSnapshot
    {
        public void WriteTo(IBufferWriter<byte> output)
        {
            var w = new MessagePackWriter(output);
            w.WriteArrayHeader(4);
            w.Write(Version);
            w.WriteArrayHeader(sources.Length);
            foreach (var s in sources)
            {
                w.WriteArrayHeader(5);
                w.Write(s.Key);
                w.Write(s.FirstMs);
                w.Write(s.LastMs);
                w.Write(s.Address);
                w.Write(s.Listener);
            }
            w.WriteArrayHeader(keys.Known.Length);
            foreach (var b in keys.Known) WriteBatch(ref w, b, count: b.Ids.Length);
            if (keys.Pending is { } p) WriteBatch(ref w, p, keys.PendingCount);
            else w.WriteNil();
            w.Flush();
        }

        private static void WriteBatch(ref MessagePackWriter w, KnownBatch b, int count)
        {
            w.WriteArrayHeader(5);
            w.Write(b.Key);
            w.Write(b.BodySha256);
            w.Write(b.StoredAtMs);
            w.Write(count);
            w.WriteArrayHeader(b.Ids.Length);
            long previous = 0;
            foreach (var id in b.Ids)
            {
                w.Write(id - previous);
                previous = id;
            }
        }
    }

    private static (List<SourceMark> Sources, KeysSnapshot Keys) Read(ReadOnlyMemory<byte> saved)
    {
        var r = new MessagePackReader(saved);
        if (r.ReadArrayHeader() != 4) throw new InvalidDataException("ingest state: not the expected layout");
        var version = r.ReadInt32();
        if (version != Version) throw new InvalidDataException($"ingest state: layout version {version}, this build reads {Version}");
        var n = r.ReadArrayHeader();
        var sources = new List<SourceMark>(n);
        for (var i = 0; i < n; i++)
        {
            if (r.ReadArrayHeader() != 5) throw new InvalidDataException("ingest state: a source is not 5 fields");
            sources.Add(new SourceMark(r.ReadString() ?? throw new InvalidDataException("ingest state: a source without a key"),
                r.ReadInt64(), r.ReadInt64(), r.ReadString(), r.ReadString()));
        }
        var m = r.ReadArrayHeader();
        var known = new KnownBatch[m];
        for (var i = 0; i < m; i++) known[i] = ReadBatch(ref r, out _);
        KnownBatch? pending = null;
        var pendingCount = 0;
        if (!r.TryReadNil()) pending = ReadBatch(ref r, out pendingCount);
        if (!r.End) throw new InvalidDataException("ingest state: bytes after the end");
        return (sources, new KeysSnapshot(known, pending, pendingCount));
    }

    private static KnownBatch ReadBatch(ref MessagePackReader r, out int count)
    {
        if (r.ReadArrayHeader() != 5) throw new InvalidDataException("ingest state: a key is not 5 fields");
        var key = r.ReadString() ?? throw new InvalidDataException("ingest state: a batch without a key");
        var sha = r.ReadBytes()?.ToArray() ?? throw new InvalidDataException("ingest state: a batch without its body hash");
        var storedAt = r.ReadInt64();
        count = r.ReadInt32();
        var ids = new long[r.ReadArrayHeader()];
        long previous = 0;
        for (var i = 0; i < ids.Length; i++) ids[i] = previous += r.ReadInt64();
        return new KnownBatch(key, sha, ids, storedAt);
    }
}
