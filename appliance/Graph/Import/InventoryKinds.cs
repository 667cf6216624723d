using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Redoubt.Graph.Extraction;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Import;

/// <summary>Why one inventory row was refused: a stable code and a plain reason naming the column.</summary>
public sealed class RowException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>What one valid row writes: nodes (kind, key, properties) and edges between them (by index).</summary>
public sealed record RowPlan(List<(NodeKind Kind, string Key, Dictionary<string, string>? Properties)> Nodes, List<(int From, EdgeType Type, int To)> Edges, string Summary);

/// <summary>
/// The inventory kinds of <c>POST /api/v1/import/{kind}</c> (docs/graph.md, "Inventory imports"): their
/// columns and how a row becomes nodes and edges. Keys are normalised as the extraction rules normalise
/// them (<see cref="GraphKeys"/>), so an imported host is the node its logs name. Used twice, with the
/// same result: by the endpoint to refuse bad rows, and by the graph sink to apply the stored rows.
/// </summary>
public static partial class InventoryKinds
{
    public const int MaxListItems = 256;
    public const int MaxCellChars = 4096;

    public static readonly IReadOnlyList<string> Names = ["assets", "identities", "vulnerabilities", "reachability", "datastores"];

    /// <summary>Column aliases → the canonical name, per kind (header names compare without case; '-' and ' ' read as '_').</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Aliases = new(StringComparer.Ordinal)
    {
        ["assets"] = Map(("host", "host"), ("hostname", "host"), ("name", "host"), ("addresses", "addresses"), ("address", "addresses"),
            ("ip", "addresses"), ("ips", "addresses"), ("os", "os"), ("owner", "owner"), ("criticality", "criticality"), ("tags", "tags")),
        ["identities"] = Map(("user", "user"), ("username", "user"), ("account", "user"), ("group", "group"), ("domain", "domain"),
            ("groups", "member_of"), ("member_of", "member_of"), ("memberof", "member_of"), ("admin_to", "admin_to"), ("adminto", "admin_to"),
            ("criticality", "criticality"), ("tags", "tags")),
        ["vulnerabilities"] = Map(("host", "host"), ("hostname", "host"), ("cve", "cve"), ("vulnerability", "cve"), ("cvss", "cvss"),
            ("cvss_score", "cvss"), ("known_exploited", "known_exploited"), ("kev", "known_exploited"), ("exploited", "known_exploited")),
        ["reachability"] = Map(("from", "from"), ("source", "from"), ("src", "from"), ("to", "to"), ("destination", "to"), ("dst", "to"),
            ("ports", "ports"), ("port", "ports"), ("protocol", "protocol"), ("proto", "protocol"), ("action", "action")),
        ["datastores"] = Map(("datastore", "datastore"), ("data_store", "datastore"), ("store", "datastore"), ("name", "datastore"),
            ("host", "host"), ("data", "data"), ("classification", "data"), ("regulated", "data"), ("criticality", "criticality"),
            ("tags", "tags"), ("owner", "owner")),
    };

    private static Dictionary<string, string> Map(params (string Alias, string Name)[] pairs) =>
        pairs.ToDictionary(p => p.Alias, p => p.Name, StringComparer.Ordinal);

    public static bool IsKind(string kind) => Aliases.ContainsKey(kind);

    /// <summary>The canonical name of a header cell for this kind: a known alias, else the cleaned name (an extra property).</summary>
    public static string Column(string kind, string header)
    {
        var clean = header.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_');
        return Aliases[kind].TryGetValue(clean, out var name) ? name : clean;
    }

    /// <summary>Validates one row (canonical column → cell text; lists separated by ';', ',' or '|') and says what it writes.</summary>
    public static RowPlan Plan(string kind, IReadOnlyDictionary<string, string> row)
    {
        var plan = PlanOf(kind, row);
        foreach (var (nodeKind, key, _) in plan.Nodes)
            if (key.Length > RuleExtractor.MaxKeyChars) throw new RowException("key_too_long", $"a {nodeKind} key of {key.Length} characters (at most {RuleExtractor.MaxKeyChars})");
        return plan;
    }

    private static RowPlan PlanOf(string kind, IReadOnlyDictionary<string, string> row) => kind switch
    {
        "assets" => Asset(row),
        "identities" => Identity(row),
        "vulnerabilities" => Vulnerability(row),
        "reachability" => Reachability(row),
        "datastores" => DataStore(row),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown inventory kind"),
    };

    private static RowPlan Asset(IReadOnlyDictionary<string, string> row)
    {
        var host = Host(row, "host");
        var plan = new RowPlan([], [], "host " + host);
        var props = Properties(row, "host", "addresses");
        plan.Nodes.Add((NodeKind.Host, host, props));
        foreach (var a in List(row, "addresses"))
        {
            var ip = GraphKeys.Ip(a, keepLocal: true) ?? throw new RowException("bad_address", $"addresses: '{a}' is not an IP address");
            plan.Nodes.Add((NodeKind.IpAddress, ip, null));
            plan.Edges.Add((0, EdgeType.HasIp, plan.Nodes.Count - 1));
        }
        return plan;
    }

    private static RowPlan Identity(IReadOnlyDictionary<string, string> row)
    {
        var hasUser = Cell(row, "user") is not null;
        var hasGroup = Cell(row, "group") is not null;
        if (hasUser == hasGroup)
            throw new RowException(hasUser ? "user_and_group" : "missing_user", hasUser ? "a row is a user or a group, not both (put the user's groups in member_of)" : "user (or group): required");
        var domain = Cell(row, "domain");
        var (kind, column) = hasUser ? (NodeKind.User, "user") : (NodeKind.Group, "group");
        var key = Account(Cell(row, column)!, domain, column);
        var plan = new RowPlan([], [], $"{column} {key}");
        plan.Nodes.Add((kind, key, Properties(row, "user", "group", "domain", "member_of", "admin_to")));
        foreach (var g in List(row, "member_of"))
        {
            plan.Nodes.Add((NodeKind.Group, Account(g, domain, "member_of"), null));
            plan.Edges.Add((0, EdgeType.MemberOf, plan.Nodes.Count - 1));
        }
        foreach (var h in List(row, "admin_to"))
        {
            plan.Nodes.Add((NodeKind.Host, HostKey(h, "admin_to"), null));
            plan.Edges.Add((0, EdgeType.AdminTo, plan.Nodes.Count - 1));
        }
        return plan;
    }

    [GeneratedRegex(@"^CVE-\d{4}-\d{4,}$", RegexOptions.IgnoreCase)]
    private static partial Regex CveId();

    private static RowPlan Vulnerability(IReadOnlyDictionary<string, string> row)
    {
        var host = Host(row, "host");
        var cve = Cell(row, "cve") ?? throw new RowException("missing_cve", "cve: required");
        if (!CveId().IsMatch(cve)) throw new RowException("bad_cve", $"cve: '{cve}' is not a CVE id (CVE-YYYY-NNNN)");
        cve = cve.ToUpperInvariant();
        var props = Properties(row, "host", "cve", "cvss", "known_exploited") ?? new Dictionary<string, string>(StringComparer.Ordinal);
        if (Cell(row, "cvss") is { } c)
        {
            if (!double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || score is < 0 or > 10 || double.IsNaN(score))
                throw new RowException("bad_cvss", $"cvss: '{c}' is not a number from 0 to 10");
            props["cvss"] = score.ToString("0.0##", CultureInfo.InvariantCulture);
        }
        if (Cell(row, "known_exploited") is { } k) props["knownExploited"] = Bool(k, "known_exploited") ? "true" : "false";
        var plan = new RowPlan([], [], $"{cve} on host {host}");
        plan.Nodes.Add((NodeKind.Host, host, null));
        plan.Nodes.Add((NodeKind.Vulnerability, cve, props.Count > 0 ? props : null));
        plan.Edges.Add((0, EdgeType.HasVulnerability, 1));
        return plan;
    }

    private static RowPlan Reachability(IReadOnlyDictionary<string, string> row)
    {
        var from = Network(row, "from");
        var to = Network(row, "to");
        var action = (Cell(row, "action") ?? "allow").ToLowerInvariant();
        var type = action switch
        {
            "allow" or "permit" or "accept" or "pass" => EdgeType.CanReach,
            "deny" or "block" or "drop" or "reject" => EdgeType.ConnectionDenied,
            _ => throw new RowException("bad_action", $"action: '{action}' is not allow or deny"),
        };
        var protocol = (Cell(row, "protocol") ?? "tcp").ToLowerInvariant();
        if (protocol is not ("tcp" or "udp" or "sctp" or "any")) throw new RowException("bad_protocol", $"protocol: '{protocol}' is not tcp, udp, sctp or any");
        var ports = List(row, "ports").Where(p => !p.Equals("any", StringComparison.OrdinalIgnoreCase)).ToList();
        var verb = type == EdgeType.CanReach ? "can reach" : "is denied";
        var plan = new RowPlan([], [], $"{from} {verb} {to}" + (ports.Count > 0 ? $" on {string.Join(',', ports)}/{protocol}" : ""));
        plan.Nodes.Add((NodeKind.Network, from, null));
        plan.Nodes.Add((NodeKind.Network, to, null));
        if (ports.Count == 0)
        {
            if (from == to) throw new RowException("same_network", "from and to are the same network");
            plan.Edges.Add((0, type, 1));
            return plan;
        }
        // Edges carry no properties: a port is a Service node in the target network (the network RUNS it).
        foreach (var p in ports)
        {
            var dash = p.IndexOf('-');
            var ok = dash < 0
                ? GraphKeys.Port(p) is not null
                : GraphKeys.Port(p.AsSpan(0, dash)) is { } lo && GraphKeys.Port(p.AsSpan(dash + 1)) is { } hi && int.Parse(lo, CultureInfo.InvariantCulture) <= int.Parse(hi, CultureInfo.InvariantCulture);
            if (!ok) throw new RowException("bad_port", $"ports: '{p}' is not a port 1-65535 or a range lo-hi");
            plan.Nodes.Add((NodeKind.Service, $"{to}:{p}/{protocol}", null));
            plan.Edges.Add((0, type, plan.Nodes.Count - 1));
            plan.Edges.Add((1, EdgeType.Runs, plan.Nodes.Count - 1));
        }
        return plan;
    }

    private static RowPlan DataStore(IReadOnlyDictionary<string, string> row)
    {
        var name = Cell(row, "datastore") ?? throw new RowException("missing_datastore", "datastore: required");
        var key = name.Trim().ToLowerInvariant();
        var host = Host(row, "host");
        var props = Properties(row, "datastore", "host", "data") ?? new Dictionary<string, string>(StringComparer.Ordinal);
        if (List(row, "data") is { Count: > 0 } data) props["data"] = string.Join(',', data.Select(d => d.ToLowerInvariant()));
        var plan = new RowPlan([], [], $"data store {key} on host {host}");
        plan.Nodes.Add((NodeKind.Host, host, null));
        plan.Nodes.Add((NodeKind.DataStore, key, props.Count > 0 ? props : null));
        plan.Edges.Add((0, EdgeType.Stores, 1));
        return plan;
    }

    // ---------------------------------------------------------------- cells

    private static string? Cell(IReadOnlyDictionary<string, string> row, string column) =>
        row.TryGetValue(column, out var v) && v.Trim() is { Length: > 0 } t && !GraphKeys.IsMissing(t) ? t : null;

    private static List<string> List(IReadOnlyDictionary<string, string> row, string column)
    {
        if (Cell(row, column) is not { } cell) return [];
        var items = cell.Split([';', ',', '|'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (items.Count > MaxListItems) throw new RowException("too_many_items", $"{column}: {items.Count} items, at most {MaxListItems}");
        return items;
    }

    private static string Host(IReadOnlyDictionary<string, string> row, string column) =>
        HostKey(Cell(row, column) ?? throw new RowException("missing_" + column, column + ": required"), column);

    private static string HostKey(string value, string column) =>
        GraphKeys.Host(value) is { } key && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '$')
            ? key : throw new RowException("bad_host", $"{column}: '{value}' is not a host name or address");

    /// <summary>user@domain with the domain's first label (as the Windows logon rules key accounts); DOMAIN\user and UPNs alike.</summary>
    private static string Account(string value, string? domain, string column)
    {
        var v = value.Trim();
        if (v.Length == 0 || v.ContainsAny(' ', '\t') && !v.Contains('\\') && !v.Contains('@'))
            throw new RowException("bad_account", $"{column}: '{value}' is not an account name");
        string name, realm;
        var slash = v.IndexOf('\\');
        var at = v.LastIndexOf('@');
        if (slash > 0) (name, realm) = (v[(slash + 1)..], v[..slash]);
        else if (at > 0) (name, realm) = (v[..at], v[(at + 1)..]);
        else (name, realm) = (v, domain ?? "");
        if (name.Length == 0) throw new RowException("bad_account", $"{column}: '{value}' is not an account name");
        var label = realm.Length == 0 ? null : GraphKeys.NetBios(realm);
        return label is null ? name.ToLowerInvariant() : name.ToLowerInvariant() + "@" + label;
    }

    private static string Network(IReadOnlyDictionary<string, string> row, string column)
    {
        var value = Cell(row, column) ?? throw new RowException("missing_" + column, column + ": required (a subnet in CIDR or a zone name)");
        if (value.Contains('/'))
        {
            // IPNetwork masks host bits away silently; a subnet written with them is more likely a typo than meant.
            if (!IPNetwork.TryParse(value, out var net) || !IPAddress.TryParse(value.AsSpan(0, value.IndexOf('/')), out var written) || !written.Equals(net.BaseAddress))
                throw new RowException("bad_network", $"{column}: '{value}' is not a subnet (CIDR with no host bits set, e.g. 10.1.0.0/16)");
            return net.ToString();
        }
        if (IPAddress.TryParse(value, out var ip) && value.Count(c => c == '.') is 3 or 0)
            return new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128).ToString();
        var zone = value.ToLowerInvariant();
        if (!zone.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new RowException("bad_network", $"{column}: '{value}' is neither a subnet nor a zone name (letters, digits, '-', '_', '.')");
        return zone;
    }

    private static bool Bool(string value, string column) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "y" or "1" => true,
        "false" or "no" or "n" or "0" => false,
        _ => throw new RowException("bad_boolean", $"{column}: '{value}' is not true or false"),
    };

    private static readonly HashSet<string> Criticalities = ["low", "medium", "high", "critical"];

    /// <summary>The row's other columns as node properties; criticality checked, tags as a comma list (the graph's flags).</summary>
    private static Dictionary<string, string>? Properties(IReadOnlyDictionary<string, string> row, params string[] used)
    {
        Dictionary<string, string>? props = null;
        foreach (var (column, raw) in row)
        {
            if (used.Contains(column) || Cell(row, column) is not { } value) continue;
            if (column == "criticality")
            {
                value = value.ToLowerInvariant();
                if (!Criticalities.Contains(value)) throw new RowException("bad_criticality", $"criticality: '{raw}' is not low, medium, high or critical");
            }
            if (column == "tags") value = string.Join(',', List(row, "tags").Select(t => t.ToLowerInvariant()));
            (props ??= new Dictionary<string, string>(StringComparer.Ordinal))[column] = value;
        }
        return props;
    }
}
