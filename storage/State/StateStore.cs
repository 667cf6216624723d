using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace Redoubt.Storage.State;

// TEMPORARY STAND-IN, replaced when branch storage-kv (the real FASTER-backed state store) is
// merged: same API, so the access layer can be built and tested across processes meanwhile. It
// rewrites one file per change; nothing of it is meant to ship.
public sealed class StateStoreOptions
{
    public required string Directory { get; init; }
}

public sealed class StateStore : IAsyncDisposable
{
    private readonly string _file;
    private readonly Dictionary<string, Dictionary<string, byte[]>> _items;
    private readonly Lock _lock = new();

    private StateStore(string file, Dictionary<string, Dictionary<string, byte[]>> items)
    {
        _file = file;
        _items = items;
    }

    public static StateStore Open(StateStoreOptions options)
    {
        System.IO.Directory.CreateDirectory(options.Directory);
        var file = Path.Combine(options.Directory, "standin.msgpack");
        var items = File.Exists(file)
            ? MessagePackSerializer.Deserialize<Dictionary<string, Dictionary<string, byte[]>>>(File.ReadAllBytes(file))
            : new Dictionary<string, Dictionary<string, byte[]>>();
        return new StateStore(file, items);
    }

    public ValueTask PutAsync<T>(string collection, string key, T value, CancellationToken ct = default)
    {
        var bytes = MessagePackSerializer.Serialize(value, cancellationToken: ct);
        lock (_lock)
        {
            if (!_items.TryGetValue(collection, out var c)) _items[collection] = c = new Dictionary<string, byte[]>();
            c[key] = bytes;
            Save();
        }
        return ValueTask.CompletedTask;
    }

    public bool TryGet<T>(string collection, string key, [MaybeNullWhen(false)] out T value)
    {
        byte[]? bytes = null;
        lock (_lock) if (_items.TryGetValue(collection, out var c)) c.TryGetValue(key, out bytes);
        if (bytes is null) { value = default; return false; }
        value = MessagePackSerializer.Deserialize<T>(bytes)!;
        return true;
    }

    public ValueTask<bool> DeleteAsync(string collection, string key, CancellationToken ct = default)
    {
        lock (_lock)
        {
            var removed = _items.TryGetValue(collection, out var c) && c.Remove(key);
            if (removed) Save();
            return ValueTask.FromResult(removed);
        }
    }

    public IReadOnlyList<KeyValuePair<string, T>> List<T>(string collection)
    {
        List<KeyValuePair<string, byte[]>> copy;
        lock (_lock) copy = _items.TryGetValue(collection, out var c) ? c.ToList() : [];
        return copy.Select(kv => new KeyValuePair<string, T>(kv.Key, MessagePackSerializer.Deserialize<T>(kv.Value))).ToList();
    }

    private void Save()
    {
        File.WriteAllBytes(_file + ".tmp", MessagePackSerializer.Serialize(_items));
        File.Move(_file + ".tmp", _file, overwrite: true);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
