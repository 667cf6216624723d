namespace Redoubt.Detection.Events;

/// <summary>
/// OpenSSH's authentication lines, read into fields for rules, correlations and IOC lookups when
/// the event arrived as plain syslog without decoded fields: `outcome` (failure, success),
/// `auth_method`, `user`, `src_ip`, `src_port`, `invalid_user` (true). Lines read:
/// "Failed|Accepted METHOD for [invalid user ]USER from IP port N", "Invalid user USER from IP",
/// pam_unix "authentication failure; … rhost=IP [user=USER]" (address and user only: sshd logs the
/// failure itself too), "Connection closed by IP", "Received disconnect from IP".
/// </summary>
public static class Sshd
{
    public static bool Applies(string? app) => app is "sshd" or "sshd-session";

    public static void Read(string message, EventFields fields)
    {
        var m = message.AsSpan();
        var repeated = m.IndexOf("message repeated ");
        if (repeated == 0 && m.IndexOf('[') is var open and > 0) m = m[(open + 1)..].TrimStart().TrimEnd(']').TrimEnd();
        if (m.StartsWith("error: ")) m = m[7..];
        var names = fields.Names;
        if (m.StartsWith("Failed ") || m.StartsWith("Accepted "))
        {
            var success = m[0] == 'A';
            var rest = m[(success ? 9 : 7)..];
            var sp = rest.IndexOf(' ');
            if (sp <= 0) return;
            var method = rest[..sp];
            rest = rest[(sp + 1)..];
            if (!rest.StartsWith("for ")) return;
            rest = rest[4..];
            var invalid = rest.StartsWith("invalid user ");
            if (invalid) rest = rest[13..];
            var from = rest.LastIndexOf(" from ");
            if (from < 0) return;
            Add(names, fields, "outcome", success ? "success" : "failure");
            Add(names, fields, "auth_method", method);
            Add(names, fields, "user", rest[..from]);
            if (invalid) Add(names, fields, "invalid_user", "true");
            Address(names, fields, rest[(from + 6)..]);
            return;
        }
        if (m.StartsWith("Invalid user "))
        {
            var rest = m[13..];
            var from = rest.LastIndexOf(" from ");
            if (from < 0) return;
            Add(names, fields, "user", rest[..from]);
            Add(names, fields, "invalid_user", "true");
            Address(names, fields, rest[(from + 6)..]);
            return;
        }
        if (m.StartsWith("pam_unix(") && m.Contains("authentication failure;", StringComparison.Ordinal))
        {
            if (Value(m, " rhost=") is { Length: > 0 } host) Add(names, fields, "src_ip", host);
            if (Value(m, " user=") is { Length: > 0 } user) Add(names, fields, "user", user);
            return;
        }
        if (m.StartsWith("Connection closed by ")) Address(names, fields, m[21..]);
        else if (m.StartsWith("Received disconnect from ")) Address(names, fields, m[25..]);
    }

    /// <summary>"IP port N …", "IP: …" or "IP [preauth]".</summary>
    private static void Address(FieldNames names, EventFields fields, ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOf(' ');
        var ip = (end < 0 ? rest : rest[..end]).TrimEnd(':');
        if (ip.Length == 0) return;
        Add(names, fields, "src_ip", ip);
        if (end < 0) return;
        var after = rest[(end + 1)..];
        if (!after.StartsWith("port ")) return;
        var port = after[5..];
        var sp = port.IndexOf(' ');
        Add(names, fields, "src_port", sp < 0 ? port : port[..sp]);
    }

    private static ReadOnlySpan<char> Value(ReadOnlySpan<char> m, string key)
    {
        var at = m.IndexOf(key);
        if (at < 0) return [];
        var v = m[(at + key.Length)..];
        var sp = v.IndexOf(' ');
        return sp < 0 ? v : v[..sp];
    }

    private static void Add(FieldNames names, EventFields fields, string name, ReadOnlySpan<char> value)
    {
        if (names.TryGet(name, out var slot)) fields.Add(slot, value, ValueKind.String);
    }
}
