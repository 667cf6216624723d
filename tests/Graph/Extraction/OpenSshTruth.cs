using System.Net;
using System.Text.RegularExpressions;

namespace Redoubt.Tests.Graph.Extraction;

/// <summary>
/// What an analyst reads in sshd and PAM lines, written from the lines' own formats with regexes (not
/// from the extraction rules), so that tests can compare the rules' output with an independent reading:
/// an accepted logon (sshd "Accepted", PAM "session opened"), a failed one (sshd "Failed", also inside
/// "message repeated", "not allowed because", PAM "authentication failure(s)"), and the address each came from.
/// Accounts are local: user@host, lower-cased.
/// </summary>
public static partial class OpenSshTruth
{
    [GeneratedRegex(@"^Accepted \S+ for (?<user>.+?) from (?<ip>\S+) port \d+")]
    private static partial Regex Accepted();

    [GeneratedRegex(@"^(message repeated \d+ times: \[ )?Failed \S+ for (invalid user )?(?<user>.+?) from (?<ip>\S+) port \d+")]
    private static partial Regex Failed();

    [GeneratedRegex(@"^User (?<user>.+?) from (?<ip>\S+) not allowed because")]
    private static partial Regex NotAllowed();

    [GeneratedRegex(@"authentication failures?;.*\brhost=(?<rhost>\S*)(\s+user=(?<user>\S+))?")]
    private static partial Regex PamFailure();

    [GeneratedRegex(@"session opened for user (?<user>\S+)")]
    private static partial Regex SessionOpened();

    /// <summary>The edges one line gives, as "Kind:key -TYPE-> Kind:key".</summary>
    public static IEnumerable<string> Edges(string host, string message)
    {
        host = host.ToLowerInvariant();
        string U(string user) => $"User:{user.Trim().ToLowerInvariant()}@{host}";
        string? Ip(string text) => IPAddress.TryParse(text, out var a) && text.Count(c => c == '.') == 3 ? "IpAddress:" + a : null;
        if (Accepted().Match(message) is { Success: true } a)
        {
            yield return $"{U(a.Groups["user"].Value)} -LOGGED_ON-> Host:{host}";
            yield return $"{U(a.Groups["user"].Value)} -AUTHENTICATED_FROM-> {Ip(a.Groups["ip"].Value)}";
            yield return $"{Ip(a.Groups["ip"].Value)} -CONNECTED_TO-> Host:{host}";
            yield break;
        }
        if ((Failed().Match(message) is { Success: true } f ? f : NotAllowed().Match(message)) is { Success: true } failed)
        {
            yield return $"{U(failed.Groups["user"].Value)} -LOGON_FAILED-> Host:{host}";
            yield return $"{U(failed.Groups["user"].Value)} -AUTH_FAILED_FROM-> {Ip(failed.Groups["ip"].Value)}";
            yield return $"{Ip(failed.Groups["ip"].Value)} -CONNECTED_TO-> Host:{host}";
            yield break;
        }
        if (PamFailure().Match(message) is { Success: true } pam)
        {
            var ip = Ip(pam.Groups["rhost"].Value);
            var user = pam.Groups["user"].Success ? U(pam.Groups["user"].Value) : null;
            if (user is not null) yield return $"{user} -LOGON_FAILED-> Host:{host}";
            if (user is not null && ip is not null) yield return $"{user} -AUTH_FAILED_FROM-> {ip}";
            if (ip is not null) yield return $"{ip} -CONNECTED_TO-> Host:{host}";
            yield break;
        }
        if (SessionOpened().Match(message) is { Success: true } s)
            yield return $"{U(s.Groups["user"].Value)} -LOGGED_ON-> Host:{host}";
    }
}
