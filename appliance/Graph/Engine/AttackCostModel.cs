using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>
/// Costs as configured (Graph:Costs), in attacker-effort units. Forward is a step along the edge
/// (a user ADMIN_TO a host gives the host), reverse a step against it (a host a user LOGGED_ON to
/// gives that user's credentials). A type missing from a table, or set to 0, is no attack step in that direction.
/// </summary>
public sealed class AttackCostOptions
{
    public Dictionary<string, double> Forward { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MEMBER_OF"] = 0.1,    // a member holds the group's rights
        ["ADMIN_TO"] = 1,       // admin rights: log on and run anything
        ["LOGGED_ON"] = 3,      // a foothold where the account logged on before; owning the host still takes a local privilege escalation
        ["HAS_IP"] = 0.1,       // a host speaks from its addresses
        ["CONNECTED_TO"] = 1,   // + exploit cost of the target: traffic is known to flow
        ["CAN_REACH"] = 1.5,    // + exploit cost of the target: declared, not observed
        ["RUNS"] = 0.1,         // a host controls what it runs
        ["STORES"] = 0.5,       // a host gives the data it holds
    };

    public Dictionary<string, double> Reverse { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["LOGGED_ON"] = 2,          // credential theft from a host the account used
        ["AUTHENTICATED_FROM"] = 3, // credentials captured at the address they came from
        ["HAS_IP"] = 0.5,           // + exploit cost of the host: reach a host by its address
        ["RUNS"] = 0.5,             // a compromised service or process gives its host
    };

    /// <summary>Exploit cost of a Host or Service with no known vulnerability (credentials or an unknown exploit needed).</summary>
    public double NoVulnerability { get; set; } = 8;
    /// <summary>Exploit cost through a vulnerability flagged known-exploited.</summary>
    public double KnownExploited { get; set; } = 1;
    /// <summary>Exploit cost through a CVSS 10 vulnerability; each CVSS point below 10 adds <see cref="CvssSlope"/>.</summary>
    public double CvssBase { get; set; } = 1;
    public double CvssSlope { get; set; } = 0.5;
    /// <summary>CVSS assumed for a vulnerability whose score is not known.</summary>
    public double UnknownCvss { get; set; } = 5;
}

/// <summary>
/// The compiled cost function, in integer milli-units so path costs add up exactly and ties are
/// real ties. A step from u to v costs the base of its (type, direction), plus, for network steps
/// (CONNECTED_TO and CAN_REACH forward, HAS_IP reverse), the exploit cost of v. The exploit cost of
/// a Host or Service is the cheapest of its vulnerabilities (HAS_VULNERABILITY), or NoVulnerability;
/// other kinds cost nothing to enter over the network (an address is only a way to a host).
/// </summary>
public sealed class AttackCostModel
{
    public const int Milli = 1000;

    internal readonly int[] Forward = new int[GraphModel.EdgeTypeSlots];
    internal readonly int[] Reverse = new int[GraphModel.EdgeTypeSlots];
    internal readonly bool[] ForwardExploit = new bool[GraphModel.EdgeTypeSlots];
    internal readonly bool[] ReverseExploit = new bool[GraphModel.EdgeTypeSlots];

    /// <summary>
    /// By node kind: whether an attack step may enter it. Software is a package, not an instance: a
    /// host running openssl does not give every other host running openssl, so no step enters it.
    /// </summary>
    internal readonly bool[] Enterable = new bool[GraphModel.NodeKindSlots];

    public int NoVulnerability { get; }
    public int KnownExploited { get; }
    private readonly double _cvssBase, _cvssSlope, _unknownCvss;

    public static AttackCostModel Default { get; } = new(new AttackCostOptions());

    public AttackCostModel(AttackCostOptions options)
    {
        Fill(options.Forward, Forward, "Forward");
        Fill(options.Reverse, Reverse, "Reverse");
        Array.Fill(Enterable, true);
        Enterable[(int)NodeKind.Software] = false;
        ForwardExploit[(int)EdgeType.ConnectedTo] = true;
        ForwardExploit[(int)EdgeType.CanReach] = true;
        ReverseExploit[(int)EdgeType.HasIp] = true;
        NoVulnerability = ToMilli(options.NoVulnerability, "NoVulnerability");
        KnownExploited = ToMilli(options.KnownExploited, "KnownExploited");
        ToMilli(options.CvssBase, "CvssBase");
        if (!double.IsFinite(options.CvssSlope) || options.CvssSlope < 0) throw new ArgumentException("Graph:Costs:CvssSlope must be a finite number >= 0");
        if (!double.IsFinite(options.UnknownCvss) || options.UnknownCvss is < 0 or > 10) throw new ArgumentException("Graph:Costs:UnknownCvss must be within 0..10");
        _cvssBase = options.CvssBase;
        _cvssSlope = options.CvssSlope;
        _unknownCvss = options.UnknownCvss;
    }

    private static void Fill(Dictionary<string, double> from, int[] into, string table)
    {
        foreach (var (name, cost) in from)
        {
            if (!GraphSchema.TryParseEdgeType(name, out var type))
                throw new ArgumentException($"Graph:Costs:{table}: '{name}' is not an edge type ({string.Join(", ", GraphSchema.EdgeTypes.Select(t => t.Name()))})");
            // 0 switches a step off (the configuration binder can add to the defaults, not remove).
            into[(int)type] = cost == 0 ? 0 : ToMilli(cost, $"{table}:{name}");
        }
    }

    private static int ToMilli(double cost, string what)
    {
        // Every step costs something: zero-cost cycles would make "cheapest path" ill-defined.
        if (!double.IsFinite(cost) || cost < 0.001 || cost > 1_000)
            throw new ArgumentException($"Graph:Costs:{what} = {cost}: a cost must be between 0.001 and 1000");
        return (int)Math.Round(cost * Milli);
    }

    /// <summary>Base milli-cost of stepping along (forward) or against (reverse) an edge of this type; 0 = not an attack step.</summary>
    public int StepBase(EdgeType type, bool reverse) => reverse ? Reverse[(int)type] : Forward[(int)type];

    public bool StepAddsExploit(EdgeType type, bool reverse) => reverse ? ReverseExploit[(int)type] : ForwardExploit[(int)type];

    public bool IsAttackStep(EdgeType type) => Forward[(int)type] > 0 || Reverse[(int)type] > 0;

    public bool CanEnter(NodeKind kind) => Enterable[(int)kind];

    public static bool IsExploitable(NodeKind kind) => kind is NodeKind.Host or NodeKind.Service;

    /// <summary>The exploit cost a node starts with, before any vulnerability is known.</summary>
    public int InitialExploit(NodeKind kind) => IsExploitable(kind) ? NoVulnerability : 0;

    /// <summary>Milli-cost of exploiting through one vulnerability.</summary>
    public int VulnerabilityCost(double? cvss, bool knownExploited)
    {
        if (knownExploited) return KnownExploited;
        var score = Math.Clamp(cvss ?? _unknownCvss, 0, 10);
        return Math.Max(1, (int)Math.Round((_cvssBase + (10 - score) * _cvssSlope) * Milli));
    }
}
