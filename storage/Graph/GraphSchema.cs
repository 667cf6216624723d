namespace Redoubt.Storage.Graph;

// The graph model of docs/DESIGN.md. These numbers are persisted (graph store records) and these
// names are part of the API and of the query language: append new members, never renumber or rename.
// tests/Graph/GraphSchemaTests.cs freezes both; if it fails, you changed a persisted id.

/// <summary>What a node is. Stored as one byte.</summary>
public enum NodeKind : byte
{
    Host = 1,
    IpAddress = 2,
    User = 3,
    Group = 4,
    Process = 5,
    Service = 6,
    Software = 7,
    Vulnerability = 8,
    DataStore = 9,
    Domain = 10,
    Alert = 11,
}

/// <summary>A directed, typed relationship. Stored as one byte. API names are the SCREAMING_SNAKE forms in <see cref="GraphSchema"/>.</summary>
public enum EdgeType : byte
{
    HasIp = 1,              // Host → IpAddress (DHCP, inventory)
    LoggedOn = 2,           // User → Host (auth events, sessions)
    AuthenticatedFrom = 3,  // User → IpAddress (where a logon came from)
    ConnectedTo = 4,        // Host → Host (firewall / flow records)
    MemberOf = 5,           // User|Group → Group
    AdminTo = 6,            // User|Group → Host (local admin rights)
    CanReach = 7,           // Host|IpAddress → Host|IpAddress (declared network reachability)
    Runs = 8,               // Host → Process|Service|Software
    HasVulnerability = 9,   // Host|Service|Software → Vulnerability (scan results)
    Stores = 10,            // Host → DataStore
    ExposedToInternet = 11, // Host|Service → IpAddress (the public address it is reachable on)
    Raised = 12,            // Alert → any entity
}

public static class GraphSchema
{
    /// <summary>One past the largest id; arrays indexed by kind or type use this length.</summary>
    public const int NodeKindSlots = 12;
    public const int EdgeTypeSlots = 13;

    public static readonly NodeKind[] NodeKinds = Enum.GetValues<NodeKind>();
    public static readonly EdgeType[] EdgeTypes = Enum.GetValues<EdgeType>();

    private static readonly string[] EdgeNames =
    [
        "", "HAS_IP", "LOGGED_ON", "AUTHENTICATED_FROM", "CONNECTED_TO", "MEMBER_OF", "ADMIN_TO",
        "CAN_REACH", "RUNS", "HAS_VULNERABILITY", "STORES", "EXPOSED_TO_INTERNET", "RAISED",
    ];

    private static readonly string[] KindNames =
    [
        "", "Host", "IpAddress", "User", "Group", "Process", "Service", "Software", "Vulnerability",
        "DataStore", "Domain", "Alert",
    ];

    public static string Name(this EdgeType type) => EdgeNames[(int)type];

    public static string Name(this NodeKind kind) => KindNames[(int)kind];

    /// <summary>Edge type from its API name (HAS_IP), case-insensitive.</summary>
    public static bool TryParseEdgeType(ReadOnlySpan<char> name, out EdgeType type)
    {
        for (var i = 1; i < EdgeNames.Length; i++)
            if (name.Equals(EdgeNames[i], StringComparison.OrdinalIgnoreCase)) { type = (EdgeType)i; return true; }
        type = default;
        return false;
    }

    /// <summary>Node kind from its API name (Host), case-insensitive.</summary>
    public static bool TryParseNodeKind(ReadOnlySpan<char> name, out NodeKind kind)
    {
        for (var i = 1; i < KindNames.Length; i++)
            if (name.Equals(KindNames[i], StringComparison.OrdinalIgnoreCase)) { kind = (NodeKind)i; return true; }
        kind = default;
        return false;
    }

    public static bool IsDefined(NodeKind kind) => (int)kind is > 0 and < NodeKindSlots;

    public static bool IsDefined(EdgeType type) => (int)type is > 0 and < EdgeTypeSlots;
}
