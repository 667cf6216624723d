using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Console;

/// <summary>
/// Hostile log content (issue 7 item 18): HTML and script payloads in the message, host, app, field
/// names and values, sent the ways real senders send them — util-linux logger over TCP, raw RFC 5424
/// and RFC 3164 lines over TCP and UDP, bytes that are not UTF-8 (an overlong '&lt;'), an agent's
/// NDJSON, and a forward-protocol agent (the real npm fluent-logger). Every payload that ran would
/// set window.__pwned or add an element the page never makes; the browser test asserts neither
/// happened and that the text is on the page literally.
/// Some land in the graph (sshd lines name a user and an address) and raise an alert (the
/// break-in rule), so the alert queue and the graph labels carry them too.
/// </summary>
public static class LogInjection
{
    /// <summary>The payloads as they must appear, literally, on the page.</summary>
    public const string MessageImg = "<img src=x onerror=\"window.__pwned='logger-msg'\">";
    public const string TagScript = "<script>window.__pwned='tag'</script>";
    /// <summary>
    /// No '/' or blank (the graph extraction takes no host name with those) and no '.' (it keys a host by
    /// its short name): this one must become a graph node whole.
    /// </summary>
    public const string HostSvg = "\"><script>top['__pwned']='host'<script>";
    public const string UserScript = "<script>window.__pwned='user'</script>";
    public const string JsUrl = "javascript:window.__pwned='url'";
    public const string RtlHost = "rtlhost";
    public const string RtlTrick = "invoice\u202Efdp.exe";
    public const string AgentHost = "<img src=x onerror=window.__pwned='agent-host'>";
    public const string AgentApp = "<svg onload=window.__pwned='agent-app'>";
    public const string AgentMessage = "'\"><iframe src=\"javascript:window.__pwned='agent-msg'\"></iframe>";
    public const string AgentFieldName = "<b onmouseover=window.__pwned='field-name'>name</b>";
    public const string AgentFieldValue = "<a href=\"javascript:window.__pwned='field-value'\">click</a></td></tr><tr><td>";
    /// <summary>RFC 5424 structured data: a parameter named like a tag, with a script as its value.</summary>
    public const string SdName = "<svg>";
    public const string SdValue = "<script>window.__pwned='sd'</script>";
    /// <summary>A forward-protocol agent (the real fluent-logger): its tag, host, message, a field name and value.</summary>
    public const string ForwardLabel = "<img src=x onerror=window.__pwned='fwd-tag'>";
    public const string ForwardTag = ForwardTagPrefix + "." + ForwardLabel;
    public const string ForwardTagPrefix = "agent";
    public const string ForwardHost = "<svg><a xlink:href=\"javascript:window.__pwned='fwd-host'\">fwd</a></svg>";
    public const string ForwardMessage = "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__pwned='fwd-msg'\">";
    public const string ForwardFieldName = "<details open ontoggle=window.__pwned='fwd-name'>";
    public const string ForwardFieldValue = "<object data=\"javascript:window.__pwned='fwd-value'\"></object>";
    public const string StyleBreakout = "</style><style>body{display:none}</style><div style=\"position:fixed;inset:0\">";

    /// <summary>The graph keys the sshd lines create (hosts are lower-cased by the extraction).</summary>
    public static string GraphHost => HostSvg.ToLowerInvariant();

    /// <summary>Sends everything; returns how many events the appliance will store.</summary>
    public static async Task<int> SendAllAsync(ApplianceProcess app)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        // The real logger: payloads in the message and in the tag (APP-NAME).
        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-T", "--rfc5424", "-t", TagScript, $"{MessageImg} {JsUrl}"]);
        // RFC 5424 from a host whose name is a payload: an sshd break-in line (raises the alert) and two
        // auth lines (graph: the payload user logged on to the payload host from 203.0.113.66).
        await Senders.SendTcpLinesAsync(app.SyslogPort,
        [
            $"<38>1 {now} {HostSvg} sshd 4242 - - reverse mapping checking getaddrinfo for {MessageImg} [203.0.113.66] failed - POSSIBLE BREAK-IN ATTEMPT!",
            $"<38>1 {now} {HostSvg} sshd 4242 - [x@32473 {SdName}=\"{SdValue}\"] Failed password for {UserScript} from 203.0.113.66 port 50022 ssh2",
            $"<38>1 {now} {HostSvg} sshd 4242 - - Accepted password for {UserScript} from 203.0.113.66 port 50023 ssh2",
        ]);
        // RFC 3164 over UDP: a right-to-left override that would show "invoice" + "exe.pdf".
        await Senders.SendUdpLinesAsync(app.SyslogPort, [$"<13>Dec  3 19:24:57 {RtlHost} mailer: attachment {RtlTrick} {StyleBreakout}"]);
        // Not UTF-8: an overlong encoding of '<' and '>' around "script" (C0 BC, C0 BE), stored raw and flagged.
        var bytes = new List<byte>(Encoding.ASCII.GetBytes($"<13>1 {now} badbytes app - - - overlong "));
        bytes.AddRange([0xC0, 0xBC]);
        bytes.AddRange(Encoding.ASCII.GetBytes("script"));
        bytes.AddRange([0xC0, 0xBE]);
        bytes.AddRange(Encoding.ASCII.GetBytes("window.__pwned='bytes'\n"));
        await Senders.SendTcpBytesAsync(app.SyslogPort, bytes.ToArray());
        // An agent's NDJSON: payloads in host, app, message, a field name and a field value.
        var agent = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["host"] = AgentHost,
            ["app"] = AgentApp,
            ["message"] = AgentMessage,
            [AgentFieldName] = AgentFieldValue,
            ["style"] = StyleBreakout,
        });
        using var r = await app.PostNdjsonAsync(agent + "\n");
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode || !body.Contains("\"accepted\":1")) throw new InvalidOperationException("agent event refused: " + body);
        // A forward-protocol agent, the real npm fluent-logger: payloads in the tag (which becomes the app
        // and the "tag" field), the host, the message, a field name and a field value. Acked = stored.
        var run = await FluentLogger.SendAsync(app.ForwardPort, "Message",
            [new FluentEvent(ForwardLabel, new Dictionary<string, object> { ["host"] = ForwardHost, ["message"] = ForwardMessage, [ForwardFieldName] = ForwardFieldValue })],
            tagPrefix: ForwardTagPrefix);
        if (run.ExitCode != 0 || run.Acked != 1) throw new InvalidOperationException("forward event not acked: " + run);
        return 1 + 3 + 1 + 1 + 1 + 1;
    }
}
