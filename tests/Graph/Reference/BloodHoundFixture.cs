using System.Text.Json;
using System.Text.Json.Nodes;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Reference;

/// <summary>
/// Turns the BloodHound CE v6 ingest fixtures (SharpHound JSON of the lab domain TESTLAB.LOCAL, in
/// shared/data/graph) into a Redoubt graph import document. Mapping: User→User, Group→Group,
/// Computer→Host, Domain→Domain; Members → MEMBER_OF; the local Administrators group (RID 544) and
/// LocalAdmins → ADMIN_TO; Sessions, PrivilegedSessions, RegistrySessions and sessions.json →
/// LOGGED_ON (BloodHound's HasSession reversed: user → computer); control ACEs on a computer
/// (GenericAll, GenericWrite, WriteDacl, WriteOwner, Owns, AllExtendedRights, AddAllowedToAct) and
/// AllowedToAct → ADMIN_TO, since each gives code execution on it. Other ACEs, GPOs, OUs and trusts
/// have no counterpart in the graph model and are counted in <see cref="Unmapped"/>.
/// Principals named only by SID (not in the fixture) become nodes keyed by that SID.
/// </summary>
public sealed class BloodHoundFixture
{
    public static string Folder => SharedData.PathOf("graph", "bloodhound-ce-test-fixtures-v6");

    private static readonly HashSet<string> ComputerControl = ["GenericAll", "GenericWrite", "WriteDacl", "WriteOwner", "Owns", "AllExtendedRights", "AddAllowedToAct"];

    private readonly Dictionary<string, (string Kind, string Key)> _bySid = new(StringComparer.OrdinalIgnoreCase);
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _edges = [];

    public JsonObject Document { get; }
    public Dictionary<string, int> Unmapped { get; } = [];

    public BloodHoundFixture()
    {
        var users = Data("users");
        var groups = Data("groups");
        var computers = Data("computers");
        var domains = Data("domains");
        foreach (var u in users) Declare(u, "User");
        foreach (var g in groups) Declare(g, "Group");
        foreach (var c in computers) Declare(c, "Host");
        foreach (var d in domains) Declare(d, "Domain");

        foreach (var g in groups)
            foreach (var m in g.GetProperty("Members").EnumerateArray())
                Edge(Ref(m.GetProperty("ObjectIdentifier").GetString()!, m.GetProperty("ObjectType").GetString()!), "MEMBER_OF", RefOf(g));

        foreach (var c in computers)
        {
            var host = RefOf(c);
            if (c.TryGetProperty("LocalGroups", out var localGroups))
                foreach (var lg in localGroups.EnumerateArray())
                {
                    if (!lg.GetProperty("ObjectIdentifier").GetString()!.EndsWith("-544", StringComparison.Ordinal)) { Count("LocalGroups:" + lg.GetProperty("Name").GetString()!.Split('@')[0]); continue; }
                    foreach (var r in lg.GetProperty("Results").EnumerateArray()) Edge(Ref(r), "ADMIN_TO", host);
                }
            if (c.TryGetProperty("LocalAdmins", out var admins))
                foreach (var r in admins.GetProperty("Results").EnumerateArray()) Edge(Ref(r), "ADMIN_TO", host);
            foreach (var name in (string[])["Sessions", "PrivilegedSessions", "RegistrySessions"])
                if (c.TryGetProperty(name, out var sessions))
                    foreach (var s in sessions.GetProperty("Results").EnumerateArray())
                        Edge(Ref(s.GetProperty("UserSID").GetString()!, "User"), "LOGGED_ON", host);
            foreach (var a in c.GetProperty("AllowedToAct").EnumerateArray()) Edge(Ref(a), "ADMIN_TO", host);
            foreach (var ace in c.GetProperty("Aces").EnumerateArray())
            {
                var right = ace.GetProperty("RightName").GetString()!;
                if (ComputerControl.Contains(right)) Edge(Ref(ace.GetProperty("PrincipalSID").GetString()!, ace.GetProperty("PrincipalType").GetString()!), "ADMIN_TO", host);
                else Count("Computer ACE " + right);
            }
        }
        foreach (var s in Data("sessions"))
            Edge(Ref(s.GetProperty("UserSID").GetString()!, "User"), "LOGGED_ON", Ref(s.GetProperty("ComputerSID").GetString()!, "Computer"));
        foreach (var x in users.Concat(groups).Concat(domains))
            foreach (var ace in x.GetProperty("Aces").EnumerateArray()) Count("ACE " + ace.GetProperty("RightName").GetString());
        Count("GPOs", Data("gpos").Count);
        Count("OUs", Data("ous").Count);
        foreach (var d in domains) Count("Trusts", d.GetProperty("Trusts").GetArrayLength());

        Document = new JsonObject { ["source"] = "bloodhound-ce-test-fixtures-v6", ["nodes"] = _nodes, ["edges"] = _edges };
    }

    private static List<JsonElement> Data(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, file + ".json"))).RootElement.GetProperty("data").EnumerateArray().ToList();

    private void Declare(JsonElement obj, string kind)
    {
        var sid = obj.GetProperty("ObjectIdentifier").GetString()!;
        var props = obj.GetProperty("Properties");
        var name = props.TryGetProperty("name", out var n) && n.GetString() is { Length: > 0 } s ? s : sid;
        _bySid[sid] = (kind, name);
        var properties = new JsonObject { ["objectid"] = sid };
        if (props.TryGetProperty("enabled", out var enabled)) properties["enabled"] = enabled.GetBoolean();
        if (props.TryGetProperty("admincount", out var adminCount)) properties["admincount"] = adminCount.GetBoolean();
        _nodes.Add(new JsonObject { ["kind"] = kind, ["key"] = name, ["properties"] = properties });
    }

    private static string RefOf(JsonElement obj) => obj.GetProperty("Properties").GetProperty("name").GetString() is { } name
        ? $"{KindOfObject(obj)}:{name}" : throw new InvalidDataException("unnamed object");

    private static string KindOfObject(JsonElement obj) =>
        obj.TryGetProperty("Members", out _) ? "Group" : obj.TryGetProperty("LocalGroups", out _) || obj.TryGetProperty("LocalAdmins", out _) ? "Host" : "User";

    private string Ref(JsonElement typed) => Ref(typed.GetProperty("ObjectIdentifier").GetString()!, typed.GetProperty("ObjectType").GetString()!);

    /// <summary>"Kind:key" of a principal: its name when the fixture has it, its SID otherwise.</summary>
    private string Ref(string sid, string objectType)
    {
        if (_bySid.TryGetValue(sid, out var known)) return $"{known.Kind}:{known.Key}";
        var kind = objectType switch { "Computer" => "Host", "Group" => "Group", "User" => "User", _ => throw new InvalidDataException("object type " + objectType) };
        return $"{kind}:{sid}";
    }

    private void Edge(string from, string type, string to) => _edges.Add(new JsonObject { ["from"] = from, ["type"] = type, ["to"] = to });

    private void Count(string what, int n = 1) => Unmapped[what] = Unmapped.GetValueOrDefault(what) + n;
}
