using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Perf.Graph;

/// <summary>
/// A synthetic enterprise with the degree skew of real ones (seeded, so every run builds the same
/// graph): a few domain admins who log on widely, helpdesk and server-admin groups with admin rights
/// over slices of the estate, many users on their own workstations, and traffic that concentrates
/// on a few popular servers (Zipf). Node and edge counts scale with <see cref="Scale"/> (1 = about
/// one million nodes and ten million edges).
/// </summary>
public sealed class EnterpriseGenerator
{
    public readonly double Scale;
    private readonly Random _rng = new(20_240_601);

    public readonly List<(NodeKind Kind, string Key, NodeFlags Flags, double? Cvss)> Nodes = [];
    public int[] Source = [];
    public byte[] Type = [];
    public int[] Target = [];
    public int EdgeCount;

    public int[] Users = [], Workstations = [], Servers = [], DomainAdmins = [];
    public int[] CrownJewels = [], InternetFacing = [];

    public EnterpriseGenerator(double scale)
    {
        Scale = scale;
        var edgeTarget = (int)(10_000_000 * scale);
        Source = new int[edgeTarget + 1024];
        Type = new byte[edgeTarget + 1024];
        Target = new int[edgeTarget + 1024];
        Build(edgeTarget);
    }

    private int N(int full) => Math.Max(1, (int)(full * Scale));

    private int Node(NodeKind kind, string key, NodeFlags flags = NodeFlags.None, double? cvss = null)
    {
        Nodes.Add((kind, key, flags, cvss));
        return Nodes.Count - 1;
    }

    private int[] Many(int count, Func<int, int> make) => Enumerable.Range(0, count).Select(make).ToArray();

    private void Edge(int s, EdgeType t, int d)
    {
        if (EdgeCount == Source.Length) return; // the budget of edges is spent
        Source[EdgeCount] = s; Type[EdgeCount] = (byte)t; Target[EdgeCount] = d; EdgeCount++;
    }

    /// <summary>Zipf(1) over n items: item 0 the most popular.</summary>
    private sealed class Zipf
    {
        private readonly double[] _cdf;
        public Zipf(int n, double exponent = 1.0)
        {
            _cdf = new double[n];
            double sum = 0;
            for (var i = 0; i < n; i++) { sum += 1.0 / Math.Pow(i + 1, exponent); _cdf[i] = sum; }
            for (var i = 0; i < n; i++) _cdf[i] /= sum;
        }
        public int Next(Random r)
        {
            var i = Array.BinarySearch(_cdf, r.NextDouble());
            return Math.Min(_cdf.Length - 1, i < 0 ? ~i : i);
        }
    }

    private int Pick(int[] from) => from[_rng.Next(from.Length)];

    private void Build(int edgeTarget)
    {
        var r = _rng;
        var domain = Node(NodeKind.Domain, "corp.example");
        _ = domain;
        Workstations = Many(N(150_000), i => Node(NodeKind.Host, $"ws{i:D6}.corp.example"));
        Servers = Many(N(20_000), i => Node(NodeKind.Host, $"srv{i:D5}.corp.example"));
        var dcs = Servers.Take(5).ToArray();
        var hosts = Workstations.Concat(Servers).ToArray();
        var hostIp = new Dictionary<int, int>();
        foreach (var h in hosts)
        {
            var i = hostIp.Count;
            var ip = Node(NodeKind.IpAddress, $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
            hostIp[h] = ip;
            Edge(h, EdgeType.HasIp, ip);
        }
        var vulns = Many(N(20_000), i =>
        {
            var kev = r.NextDouble() < 0.05;
            return Node(NodeKind.Vulnerability, $"CVE-2024-{i:D5}", kev ? NodeFlags.KnownExploited : NodeFlags.None, Math.Round(2 + r.NextDouble() * 8, 1));
        });
        var software = Many(N(5_000), i => Node(NodeKind.Software, $"package-{i}"));
        var dataStores = Many(N(5_000), i => Node(NodeKind.DataStore, $"db-{i}"));
        CrownJewels = dataStores.Take(Math.Max(1, N(50))).ToArray();
        foreach (var d in CrownJewels) Nodes[d] = Nodes[d] with { Flags = NodeFlags.CrownJewel };

        var groups = Many(N(10_000), i => Node(NodeKind.Group, $"grp-{i}"));
        var domainAdminsGroup = Node(NodeKind.Group, "Domain Admins");
        var helpdeskGroups = Many(Math.Max(1, N(10)), i => Node(NodeKind.Group, $"Helpdesk-{i}"));
        var serverAdminGroups = Many(Math.Max(1, N(100)), i => Node(NodeKind.Group, $"ServerAdmins-{i}"));
        Users = Many(N(200_000), i => Node(NodeKind.User, $"user{i:D6}@corp.example"));
        DomainAdmins = Many(Math.Max(2, N(20)), i => Node(NodeKind.User, $"da{i}@corp.example"));
        var helpdesk = Many(Math.Max(2, N(300)), i => Node(NodeKind.User, $"helpdesk{i}@corp.example"));
        var serverAdmins = Many(Math.Max(2, N(1_000)), i => Node(NodeKind.User, $"sysadmin{i}@corp.example"));
        var services = Many(Math.Max(2, N(2_000)), i => Node(NodeKind.User, $"svc{i}@corp.example"));

        var groupZipf = new Zipf(groups.Length, 0.8);
        var serverZipf = new Zipf(Servers.Length, 1.0);
        var softZipf = new Zipf(software.Length, 1.1);
        var vulnZipf = new Zipf(vulns.Length, 0.9);

        // Tier 0: domain admins administer the DCs and log on to many servers and some workstations.
        foreach (var da in DomainAdmins)
        {
            Edge(da, EdgeType.MemberOf, domainAdminsGroup);
            for (var k = 0; k < 50; k++) Edge(da, EdgeType.LoggedOn, Pick(Servers));
            for (var k = 0; k < 5; k++) Edge(da, EdgeType.LoggedOn, Pick(Workstations));
        }
        foreach (var dc in dcs) Edge(domainAdminsGroup, EdgeType.AdminTo, dc);
        // Helpdesk groups each administer a slice of workstations; their members log on widely.
        for (var i = 0; i < helpdeskGroups.Length; i++)
        {
            var slice = Workstations.Length / helpdeskGroups.Length;
            for (var k = 0; k < slice; k++) Edge(helpdeskGroups[i], EdgeType.AdminTo, Workstations[i * slice + k]);
        }
        foreach (var h in helpdesk)
        {
            Edge(h, EdgeType.MemberOf, helpdeskGroups[r.Next(helpdeskGroups.Length)]);
            for (var k = 0; k < 100; k++) Edge(h, EdgeType.LoggedOn, Pick(Workstations));
        }
        for (var i = 0; i < serverAdminGroups.Length; i++)
            for (var k = 0; k < 200; k++) Edge(serverAdminGroups[i], EdgeType.AdminTo, Pick(Servers));
        foreach (var a in serverAdmins)
        {
            Edge(a, EdgeType.MemberOf, serverAdminGroups[r.Next(serverAdminGroups.Length)]);
            for (var k = 0; k < 20; k++) Edge(a, EdgeType.LoggedOn, Servers[serverZipf.Next(r)]);
        }
        foreach (var s in services)
            for (var k = 0; k < 5; k++) Edge(s, EdgeType.LoggedOn, Servers[serverZipf.Next(r)]);
        // Everyone else: a workstation of their own (local admin on a third of them), a few groups.
        for (var i = 0; i < Users.Length; i++)
        {
            var u = Users[i];
            var ws = Workstations[i % Workstations.Length];
            Edge(u, EdgeType.LoggedOn, ws);
            if (r.NextDouble() < 0.33) Edge(u, EdgeType.AdminTo, ws);
            if (r.NextDouble() < 0.1) Edge(u, EdgeType.LoggedOn, Pick(Workstations));
            Edge(u, EdgeType.AuthenticatedFrom, hostIp[ws]);
            for (var k = 0; k < 2; k++) Edge(u, EdgeType.AuthenticatedFrom, hostIp[Pick(hosts)]);
            var memberships = 1 + r.Next(7);
            for (var k = 0; k < memberships; k++) Edge(u, EdgeType.MemberOf, groups[groupZipf.Next(r)]);
        }
        for (var i = 0; i < groups.Length; i++)
            if (r.NextDouble() < 0.5) Edge(groups[i], EdgeType.MemberOf, groups[groupZipf.Next(r)]);

        // What hosts run and what scanners found on them.
        foreach (var h in hosts)
        {
            for (var k = 0; k < 5; k++) Edge(h, EdgeType.Runs, software[softZipf.Next(r)]);
            for (var k = 0; k < 5; k++) Edge(h, EdgeType.HasVulnerability, vulns[vulnZipf.Next(r)]);
        }
        for (var i = 0; i < dataStores.Length; i++) Edge(Servers[5 + i % (Servers.Length - 5)], EdgeType.Stores, dataStores[i]);
        InternetFacing = Servers.Skip(Servers.Length - Math.Max(1, N(200))).ToArray();
        foreach (var s in InternetFacing) Edge(s, EdgeType.ExposedToInternet, Node(NodeKind.IpAddress, $"203.0.{s >> 8 & 255}.{s & 255}"));
        var alerts = Many(N(10_000), i => Node(NodeKind.Alert, $"alert-{i}"));
        foreach (var a in alerts) Edge(a, EdgeType.Raised, r.NextDouble() < 0.5 ? Pick(hosts) : Pick(Users));

        // Declared reachability, then observed flows (most to a few popular servers) fill the edge budget.
        for (var k = 0; k < N(500_000); k++) Edge(hostIp[Pick(Workstations)], EdgeType.CanReach, hostIp[Servers[serverZipf.Next(r)]]);
        var serverFlows = N(1_000_000);
        for (var k = 0; k < serverFlows; k++) Edge(Pick(Servers), EdgeType.ConnectedTo, Servers[serverZipf.Next(r)]);
        while (EdgeCount < edgeTarget) Edge(Pick(Workstations), EdgeType.ConnectedTo, Servers[serverZipf.Next(r)]);
        // Processes fill the node count up to the million.
        var processTarget = N(1_000_000) - Nodes.Count;
        for (var i = 0; i < processTarget; i++) Node(NodeKind.Process, $"proc-{i}");
    }

    /// <summary>Loads the graph into an engine, as the store rebuild would: one batch, one compaction.</summary>
    public SecurityGraph LoadEngine()
    {
        var g = new SecurityGraph();
        g.Write(w =>
        {
            var import = w.BeginImport("synthetic-enterprise", 1_717_200_000_000);
            foreach (var (kind, key, flags, cvss) in Nodes)
            {
                var id = w.Node(kind, key);
                if (flags != NodeFlags.None || cvss is not null) w.Update(id, new NodeUpdate { SetFlags = flags, Cvss = cvss });
            }
            var t0 = 1_717_200_000_000L;
            for (var e = 0; e < EdgeCount; e++)
                w.AssertEdge(Source[e], (EdgeType)Type[e], Target[e], new EdgeAssertion(t0 + e, import));
            w.Compact();
        });
        return g;
    }
}
