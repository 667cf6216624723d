using System.Text.Json;
using MessagePack;

namespace Redoubt.Tests.Support;

/// <summary>
/// A JSON value written as MessagePack (objects as maps, numbers as integers when they are): how the
/// tests and the perf probes turn real JSON records into forward-protocol records. Linked into perf/.
/// </summary>
public static class MessagePackJson
{
    public static void Write(ref MessagePackWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteMapHeader(e.EnumerateObject().Count());
                foreach (var p in e.EnumerateObject()) { w.Write(p.Name); Write(ref w, p.Value); }
                break;
            case JsonValueKind.Array:
                w.WriteArrayHeader(e.GetArrayLength());
                foreach (var i in e.EnumerateArray()) Write(ref w, i);
                break;
            case JsonValueKind.String: w.Write(e.GetString()); break;
            case JsonValueKind.Number when e.TryGetInt64(out var l): w.Write(l); break;
            case JsonValueKind.Number: w.Write(e.GetDouble()); break;
            case JsonValueKind.True: w.Write(true); break;
            case JsonValueKind.False: w.Write(false); break;
            default: w.WriteNil(); break;
        }
    }
}
