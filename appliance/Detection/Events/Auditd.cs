namespace Redoubt.Detection.Events;

/// <summary>
/// Linux audit records as auditd writes them (`type=SYSCALL msg=audit(…): key=value key="value"`),
/// read into fields by their auditd names (type, syscall, exe, a0…) for Sigma's auditd rules,
/// when the event arrived as plain syslog without decoded fields.
/// </summary>
public static class Auditd
{
    public static bool Looks(string message)
    {
        var m = message.AsSpan();
        if (m.StartsWith("node=")) { var sp = m.IndexOf(' '); if (sp < 0) return false; m = m[(sp + 1)..]; }
        return m.StartsWith("type=") && m.Contains(" msg=audit(", StringComparison.Ordinal);
    }

    public static void Read(string message, EventFields fields)
    {
        var rest = message.AsSpan();
        var names = fields.Names;
        while (!rest.IsEmpty)
        {
            rest = rest.TrimStart(' ');
            var eq = rest.IndexOf('=');
            if (eq <= 0) break;
            var key = rest[..eq];
            if (key.Contains(' ')) { rest = rest[(key.LastIndexOf(' ') + 1)..]; continue; }
            rest = rest[(eq + 1)..];
            ReadOnlySpan<char> value;
            if (rest.Length > 0 && rest[0] == '"')
            {
                var close = rest[1..].IndexOf('"');
                value = close < 0 ? rest[1..] : rest.Slice(1, close);
                rest = close < 0 ? [] : rest[(close + 2)..];
            }
            else
            {
                var sp = rest.IndexOf(' ');
                value = sp < 0 ? rest : rest[..sp];
                rest = sp < 0 ? [] : rest[(sp + 1)..];
                // The record header ends in "msg=audit(…):"; a record's own fields follow.
                if (value.EndsWith(':')) value = value[..^1];
            }
            if (names.TryGet(key, out var slot)) fields.Add(slot, value, ValueKind.String);
        }
    }
}
