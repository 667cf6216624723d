using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>
/// Structural JSON equality where numbers compare by value as doubles: a record that travelled as
/// MessagePack float64 keeps the double, not every digit of its original text ("…313" vs "…312").
/// </summary>
public static class JsonSame
{
    public static bool Equal(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var pa = a.EnumerateObject().ToList();
                var pb = b.EnumerateObject().ToList();
                return pa.Count == pb.Count && pa.Zip(pb).All(p => p.First.Name == p.Second.Name && Equal(p.First.Value, p.Second.Value));
            case JsonValueKind.Array:
                return a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => Equal(p.First, p.Second));
            case JsonValueKind.Number:
                return a.TryGetInt64(out var la) && b.TryGetInt64(out var lb) ? la == lb : a.GetDouble().Equals(b.GetDouble());
            case JsonValueKind.String:
                return a.GetString() == b.GetString();
            default:
                return true;
        }
    }
}
