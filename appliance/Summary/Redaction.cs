using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Redoubt.Configuration;

namespace Redoubt.Summary;

/// <summary>What a redaction rule does to one kind of value.</summary>
public enum RedactAction { Keep, Hash, Truncate, Omit }

/// <summary>
/// The site's redaction policy, compiled: every user name, host name and IP address that a summary (or a
/// summary-only caller) sees passes through it. Hashes are HMAC-SHA256 keyed with the site secret, so the
/// same account gives the same pseudonym in every summary of this site, and nobody without the secret can
/// test a guess. The secret is made on first start and never leaves DATA/summary/.
/// </summary>
public sealed partial class RedactionPolicy
{
    public const string Omitted = "[omitted]";
    private readonly byte[] _secret;

    public string Name { get; }
    public RedactAction Users { get; }
    public RedactAction Hosts { get; }
    public RedactAction IpAddresses { get; }
    public bool OmitMessages { get; }
    /// <summary>"sha256:…" of the settings (not the secret): two summaries with the same hash were redacted alike.</summary>
    public string SettingsHash { get; }
    /// <summary>The settings in the canonical form that was hashed.</summary>
    public string Settings { get; }

    public RedactionPolicy(RedactionOptions options, byte[] secret)
    {
        _secret = secret;
        Name = string.IsNullOrWhiteSpace(options.Name) ? throw new StartupException("Summary:Redaction:Name must not be empty") : options.Name.Trim();
        Users = Parse(options.Users, "Users", allowTruncate: false);
        Hosts = Parse(options.Hosts, "Hosts", allowTruncate: false);
        IpAddresses = Parse(options.IpAddresses, "IpAddresses", allowTruncate: true);
        OmitMessages = options.OmitMessages;
        Settings = $"users={Lower(Users)};hosts={Lower(Hosts)};ipAddresses={Lower(IpAddresses)};omitMessages={(OmitMessages ? "true" : "false")}";
        SettingsHash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Settings)));
    }

    private static string Lower(RedactAction a) => a.ToString().ToLowerInvariant();

    private static RedactAction Parse(string? value, string name, bool allowTruncate) => value?.Trim().ToLowerInvariant() switch
    {
        "keep" => RedactAction.Keep,
        "hash" => RedactAction.Hash,
        "omit" => RedactAction.Omit,
        "truncate" when allowTruncate => RedactAction.Truncate,
        _ => throw new StartupException($"Summary:Redaction:{name} '{value}' is not one of keep, hash, omit{(allowTruncate ? ", truncate" : "")}"),
    };

    public object Describe() => new { policy = Name, settingsHash = SettingsHash, settings = Settings };

    public string User(string value) => Apply(Users, "user", value);

    /// <summary>A host name; one that is an IP address follows the address rule.</summary>
    public string Host(string value) => IPAddress.TryParse(value, out var ip) ? Ip(ip) : Apply(Hosts, "host", value.ToLowerInvariant());

    public string Ip(string value) => IPAddress.TryParse(value, out var ip) ? Ip(ip) : Apply(IpAddresses == RedactAction.Truncate ? RedactAction.Omit : IpAddresses, "ip", value);

    public string Ip(IPAddress ip) => IpAddresses switch
    {
        RedactAction.Keep => ip.ToString(),
        RedactAction.Truncate => Truncate(ip),
        _ => Apply(IpAddresses, "ip", ip.ToString()),
    };

    /// <summary>An alert entity by its name (host, user, src_ip, dst_ip, indicator, process…).</summary>
    public string Entity(string name, string value) => name switch
    {
        "host" => Host(value),
        "user" => User(value),
        "src_ip" or "dst_ip" => Ip(value),
        "indicator" when IPAddress.TryParse(value, out var ip) => Ip(ip),
        _ => value,
    };

    /// <summary>A graph node's key, by its kind (Host, User, IpAddress follow their rules; other kinds are kept).</summary>
    public string NodeKey(string kind, string key) => kind switch
    {
        "Host" => Host(key),
        "User" => User(key),
        "IpAddress" => Ip(key),
        _ => key,
    };

    /// <summary>
    /// Free text (an event message) with the values the policy changes replaced: the given entity values and
    /// every IPv4/IPv6-looking token. Best effort by nature, which is why messages are omitted by default.
    /// </summary>
    public string Text(string text, IEnumerable<(string Name, string Value)> entities)
    {
        var result = text;
        foreach (var (name, value) in entities.OrderByDescending(e => e.Value.Length))
        {
            if (value.Length < 2) continue;
            var replaced = Entity(name, value);
            if (replaced != value) result = result.Replace(value, replaced, StringComparison.OrdinalIgnoreCase);
        }
        if (IpAddresses != RedactAction.Keep)
            result = AddressPattern().Replace(result, m => IPAddress.TryParse(m.Value, out var ip) ? Ip(ip) : m.Value);
        return result;
    }

    [GeneratedRegex(@"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w.:])")]
    private static partial Regex AddressPattern();

    private string Apply(RedactAction action, string kind, string value) => action switch
    {
        RedactAction.Keep => value,
        RedactAction.Omit => Omitted,
        _ => kind + "#" + Pseudonym(kind, value),
    };

    /// <summary>64 bits of HMAC-SHA256(secret, kind:value) in hex: stable per site, not reversible without the secret.</summary>
    public string Pseudonym(string kind, string value)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(kind + ":" + value));
        return Convert.ToHexStringLower(mac.AsSpan(0, 8));
    }

    private static string Truncate(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var bytes = ip.GetAddressBytes();
        var keep = ip.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        for (var i = keep; i < bytes.Length; i++) bytes[i] = 0;
        return new IPAddress(bytes) + "/" + keep * 8;
    }
}

/// <summary>The per-install secret of the pseudonyms: 32 random bytes in DATA/summary/site-secret (0600), made on first start.</summary>
public static class SiteSecret
{
    public static byte[] LoadOrCreate(string dataDir)
    {
        var dir = Path.Combine(dataDir, "summary");
        var path = Path.Combine(dir, "site-secret");
        if (Directory.Exists(path))
            throw new StartupException($"{path} is a directory, not the site secret file: remove it (or put back the file from a backup, which keeps the pseudonyms)");
        if (File.Exists(path))
        {
            // Restored by an older build, or copied by hand: anyone who can read it can undo the pseudonyms.
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var existing = File.ReadAllBytes(path);
            if (existing.Length != 32) throw new StartupException($"{path} is {existing.Length} bytes, not the 32 of a site secret: restore it from the backup or remove it (pseudonyms then change)");
            return existing;
        }
        Directory.CreateDirectory(dir);
        var secret = RandomNumberGenerator.GetBytes(32);
        var temp = path + ".tmp";
        var mode = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(temp, mode))
        {
            f.Write(secret);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path);
        return secret;
    }
}
