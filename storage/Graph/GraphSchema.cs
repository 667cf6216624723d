namespace Redoubt.Storage.Graph;

/// <summary>
/// Node kinds of the graph model (docs/DESIGN.md). The numbers are stored in the graph store and the
/// names are part of the API: never renumber or rename; append new kinds at the end.
/// </summary>
public enum NodeKind : ushort
{
    Host = 1,
    IpAddress = 2,
    User = 3,
    Group = 4,
    Process = 5,
    /// <summary>A listening port on a host.</summary>
    Service = 6,
    Software = 7,
    /// <summary>A CVE.</summary>
    Vulnerability = 8,
    /// <summary>A store of data, possibly tagged as a crown jewel.</summary>
    DataStore = 9,
    Domain = 10,
    Alert = 11,
    /// <summary>A subnet (keyed by its CIDR) or a named zone, from reachability inventories.</summary>
    Network = 12,
}

/// <summary>
/// Directed, typed edges of the graph model (docs/DESIGN.md). Numbers are stored, names are API
/// (the openCypher relationship types): never renumber or rename; append at the end.
/// </summary>
public enum EdgeType : ushort
{
    HasIp = 1,
    /// <summary>User → Host, from authentication events.</summary>
    LoggedOn = 2,
    AuthenticatedFrom = 3,
    /// <summary>Host → Host:port, from firewall and flow events.</summary>
    ConnectedTo = 4,
    MemberOf = 5,
    AdminTo = 6,
    /// <summary>Declared network reachability.</summary>
    CanReach = 7,
    Runs = 8,
    HasVulnerability = 9,
    /// <summary>Host → DataStore.</summary>
    Stores = 10,
    ExposedToInternet = 11,
    /// <summary>Alert → the entity it is about.</summary>
    Raised = 12,
    /// <summary>Domain → IpAddress (or → Domain for an alias), from DNS answers.</summary>
    ResolvesTo = 13,
    /// <summary>User → Host: a logon that failed (kept apart from LOGGED_ON: a failure gives an attacker nothing).</summary>
    LogonFailed = 14,
    /// <summary>User → IpAddress: a failed authentication came from this address.</summary>
    AuthFailedFrom = 15,
    /// <summary>IpAddress → Service (or Host): a firewall denied or dropped the connection.</summary>
    ConnectionDenied = 16,
}

/// <summary>The model's names for kinds and types, as analysts write them in queries.</summary>
public static class GraphSchema
{
    private static readonly Dictionary<EdgeType, string> EdgeNames = new()
    {
        [EdgeType.HasIp] = "HAS_IP",
        [EdgeType.LoggedOn] = "LOGGED_ON",
        [EdgeType.AuthenticatedFrom] = "AUTHENTICATED_FROM",
        [EdgeType.ConnectedTo] = "CONNECTED_TO",
        [EdgeType.MemberOf] = "MEMBER_OF",
        [EdgeType.AdminTo] = "ADMIN_TO",
        [EdgeType.CanReach] = "CAN_REACH",
        [EdgeType.Runs] = "RUNS",
        [EdgeType.HasVulnerability] = "HAS_VULNERABILITY",
        [EdgeType.Stores] = "STORES",
        [EdgeType.ExposedToInternet] = "EXPOSED_TO_INTERNET",
        [EdgeType.Raised] = "RAISED",
        [EdgeType.ResolvesTo] = "RESOLVES_TO",
        [EdgeType.LogonFailed] = "LOGON_FAILED",
        [EdgeType.AuthFailedFrom] = "AUTH_FAILED_FROM",
        [EdgeType.ConnectionDenied] = "CONNECTION_DENIED",
    };

    private static readonly Dictionary<string, EdgeType> EdgesByName = EdgeNames.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    public static string Name(NodeKind kind) => Enum.IsDefined(kind) ? kind.ToString() : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown node kind");

    public static string Name(EdgeType type) => EdgeNames.TryGetValue(type, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(type), type, "unknown edge type");

    public static bool TryParseNodeKind(string name, out NodeKind kind) =>
        Enum.TryParse(name, ignoreCase: false, out kind) && Enum.IsDefined(kind) && !char.IsDigit(name[0]);

    public static bool TryParseEdgeType(string name, out EdgeType type) => EdgesByName.TryGetValue(name, out type);

    public static IReadOnlyCollection<NodeKind> NodeKinds { get; } = Enum.GetValues<NodeKind>();
    public static IReadOnlyCollection<EdgeType> EdgeTypes { get; } = Enum.GetValues<EdgeType>();
}
