using Redoubt.Storage.State;

namespace Redoubt.Detection.Iocs;

/// <summary>
/// The IOC lists: imported offline (CSV or STIX 2.1), kept in the state store (list records plus
/// indicator chunks), compiled into one <see cref="IocIndex"/> that detection swaps in between events.
/// Importing a list under an existing name replaces it.
/// </summary>
public sealed class IocService
{
    public const string ListCollection = "ioc-lists", ItemCollection = "ioc-items";
    private const int ChunkSize = 2_000;
    private const int KeptErrors = 200;

    private readonly StateStore _state;
    private readonly ILogger<IocService> _logger;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private volatile IocIndex _current = IocIndex.Empty;

    public IocIndex Current => _current;

    public IocService(StateStore state, ILogger<IocService> logger)
    {
        _state = state;
        _logger = logger;
        _current = Build();
        if (_current.Count > 0) logger.LogInformation("iocs: {Count} indicators in {Lists} lists", _current.Count, Lists().Count);
    }

    public IReadOnlyList<IocListRecord> Lists() => _state.List<IocListRecord>(ListCollection).Select(kv => kv.Value).ToList();

    public IocListRecord? Find(string name) => _state.TryGet<IocListRecord>(ListCollection, name, out var r) ? r : null;

    public List<Indicator> Indicators(IocListRecord list)
    {
        var items = new List<Indicator>(list.Count);
        for (var i = 0; i < list.Chunks; i++)
            if (_state.TryGet<IocChunk>(ItemCollection, ChunkKey(list.Name, list.Generation, i), out var chunk)) items.AddRange(chunk.Items);
        return items;
    }

    private static string ChunkKey(string list, long generation, int i) => $"{list}/{generation:D12}/{i:D6}";

    /// <summary>A valid list name: letters, digits, '-', '_', '.' (1..64).</summary>
    public static bool ValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Parses and stores a list (replacing one of the same name), then swaps in the new index. Durable when it returns.</summary>
    public async Task<(IocListRecord Record, IocParseResult Parsed)> ImportAsync(string name, string format, string text, string who)
    {
        var parsed = format == "stix" ? IocParsers.Stix(text, name) : IocParsers.Csv(text, name);
        await _writing.WaitAsync();
        try
        {
            var old = Find(name);
            var record = new IocListRecord
            {
                Name = name, Format = format, ImportedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ImportedBy = who,
                Count = parsed.Indicators.Count, Chunks = (parsed.Indicators.Count + ChunkSize - 1) / ChunkSize,
                Errors = parsed.Errors.Take(KeptErrors).ToList(), ErrorCount = parsed.Errors.Count,
                Generation = (old?.Generation ?? 0) + 1,
            };
            var writes = new List<Task>();
            for (var i = 0; i < record.Chunks; i++)
                writes.Add(_state.PutAsync(ItemCollection, ChunkKey(name, record.Generation, i),
                    new IocChunk { Items = parsed.Indicators.Skip(i * ChunkSize).Take(ChunkSize).ToList() }).AsTask());
            await Task.WhenAll(writes);
            await _state.PutAsync(ListCollection, name, record); // the list record names its chunks: written last
            if (old is not null) await DeleteChunksAsync(old);
            _current = Build();
            _logger.LogInformation("iocs: list {List} imported by {Who}: {Count} indicators, {Errors} not imported", name, who, record.Count, record.ErrorCount);
            return (record, parsed);
        }
        finally { _writing.Release(); }
    }

    public async Task<bool> DeleteAsync(string name)
    {
        await _writing.WaitAsync();
        try
        {
            if (Find(name) is not { } old) return false;
            await _state.DeleteAsync(ListCollection, name);
            await DeleteChunksAsync(old);
            _current = Build();
            return true;
        }
        finally { _writing.Release(); }
    }

    private async Task DeleteChunksAsync(IocListRecord list)
    {
        for (var i = 0; i < list.Chunks; i++) await _state.DeleteAsync(ItemCollection, ChunkKey(list.Name, list.Generation, i));
    }

    private IocIndex Build() =>
        new(Lists().Select(l => (l.Name, (IReadOnlyList<Indicator>)Indicators(l))).ToList());
}
