using System.Net;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// PLACEHOLDER extraction, enough to exercise the graph store end to end on real sshd logs; the graph
/// extraction rules (a later issue) replace or extend it. From sshd's
/// "Accepted|Failed METHOD for [invalid user ]USER from IP port N ..." lines:
/// every attempt gives IpAddress -CONNECTED_TO-> Host (the address reached the host's sshd); an accepted
/// one also gives User -AUTHENTICATED_FROM-> IpAddress and User -LOGGED_ON-> Host.
/// </summary>
public sealed class SshdAuthExtractor : IGraphExtractor
{
    public void Extract(in StoredEvent stored, GraphStore graph)
    {
        var e = stored.Event;
        if (e.App is not ("sshd" or "sshd-session") || e.Host is not { Length: > 0 } hostName || e.Message is not { } message) return;
        if (!TryParse(message, out var accepted, out var user, out var ip)) return;

        var time = e.TimeMs;
        var why = Provenance.FromEvent(stored.Id);
        var host = graph.UpsertNode(NodeKind.Host, hostName.ToLowerInvariant(), time);
        var address = graph.UpsertNode(NodeKind.IpAddress, ip, time);
        graph.ObserveEdge(address, EdgeType.ConnectedTo, host, time, why);
        if (!accepted) return;
        var account = graph.UpsertNode(NodeKind.User, user, time);
        graph.ObserveEdge(account, EdgeType.AuthenticatedFrom, address, time, why);
        graph.ObserveEdge(account, EdgeType.LoggedOn, host, time, why);
    }

    /// <summary>Reads the sshd auth line; the IP comes back in canonical form.</summary>
    public static bool TryParse(string message, out bool accepted, out string user, out string ip)
    {
        accepted = false;
        user = ip = "";
        var m = message.AsSpan();
        if (m.StartsWith("Accepted ")) accepted = true;
        else if (!m.StartsWith("Failed ")) return false;

        var forAt = m.IndexOf(" for ");
        if (forAt < 0) return false;
        var rest = m[(forAt + 5)..];
        if (rest.StartsWith("invalid user ")) rest = rest[13..];
        var fromAt = rest.IndexOf(" from ");
        if (fromAt <= 0) return false;
        var who = rest[..fromAt];
        var after = rest[(fromAt + 6)..];
        var portAt = after.IndexOf(" port ");
        if (portAt <= 0 || !IPAddress.TryParse(after[..portAt], out var address)) return false;
        user = who.ToString();
        ip = address.ToString();
        return true;
    }
}
