using System.Globalization;
using Redoubt.Detection.Events;
using Redoubt.Storage.Events;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// Reads one event into the slots the extraction rules use, the way detection reads events
/// (docs/detection.md): the redoubt.* fields, then the agent's JSON (flattened, prefixes stripped,
/// aliases) or the syslog message, its decoded fields, and raw auditd records. Reuses its buffers.
/// </summary>
public sealed class ExtractionEventReader
{
    public const string Format = "redoubt.format", App = "redoubt.app", Host = "redoubt.host", Message = "redoubt.message",
        Facility = "redoubt.facility", Source = "redoubt.source", MsgId = "redoubt.msgid", ProcId = "redoubt.procid";

    public static readonly string[] MetaFields = [Format, App, Host, Message, Facility, Source, MsgId, ProcId];

    private readonly EventFields _fields;
    private readonly JsonEventReader _json;
    private readonly int _format, _app, _host, _message, _facility, _source, _msgId, _procId;

    public EventFields Fields => _fields;

    public ExtractionEventReader(FieldNames names, JsonFlattening flattening)
    {
        _fields = new EventFields(names);
        _json = new JsonEventReader(flattening);
        _format = Slot(names, Format);
        _app = Slot(names, App);
        _host = Slot(names, Host);
        _message = Slot(names, Message);
        _facility = Slot(names, Facility);
        _source = Slot(names, Source);
        _msgId = Slot(names, MsgId);
        _procId = Slot(names, ProcId);
    }

    private static int Slot(FieldNames names, string name) => names.TryGet(name, out var slot) ? slot : -1;

    public void Read(EventRecord record)
    {
        var f = _fields;
        f.Reset();
        Meta(_format, record.Format);
        Meta(_app, record.App);
        Meta(_host, record.Host);
        Meta(_source, record.Source);
        Meta(_msgId, record.MsgId);
        Meta(_procId, record.ProcId);
        if (_facility >= 0 && record.Facility >= 0)
        {
            Span<char> digits = stackalloc char[4];
            record.Facility.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
            f.Add(_facility, digits[..n], ValueKind.Number);
        }
        Meta(_message, record.Message);
        if (record.Json is not null)
        {
            _json.Read(record, f);
            return;
        }
        if (record.Fields is { } fields)
        {
            foreach (var (name, value) in fields)
            {
                if (!f.Names.TryGet(name, out var slot)) continue;
                f.Add(slot, value, ValueKind.String);
                var alias = f.Names.AliasOf(slot);
                if (alias >= 0) f.Add(alias, value, ValueKind.String);
            }
        }
        else if (record.Message is { } message && Auditd.Looks(message)) Auditd.Read(message, f);
    }

    private void Meta(int slot, string? value)
    {
        if (slot >= 0 && value is not null) _fields.Add(slot, value, ValueKind.String);
    }
}
