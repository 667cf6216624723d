using MessagePack;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Forward;

/// <summary>
/// Forward messages covering every MessagePack header form, including the long forms a minimal
/// encoder never picks (str32 of 3 bytes, map32 of one pair…), which real senders still use.
/// </summary>
public static class ForwardSamples
{
    public static readonly string[] Records =
    [
        """{"host":"web1","message":"Accepted password for alice from 10.0.0.5 port 51000 ssh2","pid":4242}""",
        """{"log":"GET /index.html 200","container_name":"/nginx","source":"stdout","n":-17,"ratio":0.25,"ok":true,"none":null}""",
        """{"host":{"name":"beat-host","ip":["10.0.0.9","fe80::1"]},"event":{"code":4624},"message":"An account was successfully logged on."}""",
    ];

    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        yield return ("message", ForwardFrames.Message("app.auth", 1767225600, Records[0], chunk: "Qz7DssCp+fLchbzmGyOizA=="));
        yield return ("message-no-option", ForwardFrames.Message("app.auth", 1767225600, Records[1]));
        yield return ("forward", ForwardFrames.Forward("app.web", Records, 1767225600, chunk: "c2Vjb25k"));
        yield return ("packed", ForwardFrames.Packed("app.packed", ForwardFrames.Entries(Records, 1767225600), chunk: "cGFja2Vk"));
        yield return ("compressed", ForwardFrames.Packed("app.gz", ForwardFrames.Entries(Records, 1767225600), chunk: "Z3o=", members: 2));
        yield return ("heartbeat", [0xc0]);
        yield return ("long-forms", LongForms());
        yield return ("big-string", ForwardFrames.Message("app.big", 1767225600, "{\"message\":\"" + new string('x', 1_000) + "\"}"));
    }

    /// <summary>[tag, time, record] spelled with every non-minimal header there is.</summary>
    private static byte[] LongForms() => ForwardFrames.Build((ref MessagePackWriter w) =>
    {
        w.WriteRaw([0xdd, 0, 0, 0, 3]);                         // array32 of 3
        w.WriteRaw([0xdb, 0, 0, 0, 4, (byte)'l', (byte)'o', (byte)'n', (byte)'g']); // str32 tag
        w.WriteRaw([0xc7, 8, 0, 0x69, 0x55, 0xb9, 0x00, 0, 0, 0, 1]); // ext8 EventTime
        w.WriteRaw([0xdf, 0, 0, 0, 12]);                        // map32 of 12 pairs
        w.WriteRaw([0xd9, 1, (byte)'a']); w.WriteRaw([0xda, 0, 2, (byte)'h', (byte)'i']);       // str8 key, str16 value
        w.WriteRaw([0xa1, (byte)'b']); w.WriteRaw([0xc6, 0, 0, 0, 2, 1, 2]);                   // bin32 value
        w.WriteRaw([0xa1, (byte)'c']); w.WriteRaw([0xc5, 0, 1, 0xff]);                        // bin16
        w.WriteRaw([0xa1, (byte)'d']); w.WriteRaw([0xc8, 0, 1, 5, 9]);                        // ext16
        w.WriteRaw([0xa1, (byte)'e']); w.WriteRaw([0xc9, 0, 0, 0, 1, 5, 9]);                  // ext32
        w.WriteRaw([0xa1, (byte)'f']); w.WriteRaw([0xd4, 1, 2]);                              // fixext1
        w.WriteRaw([0xa1, (byte)'g']); w.WriteRaw(new byte[] { 0xd8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }); // fixext16
        w.WriteRaw([0xa1, (byte)'h']); w.WriteRaw([0xdc, 0, 2, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // array16 [u64, i64]
        w.WriteRaw([0xa1, (byte)'i']); w.WriteRaw([0xde, 0, 1, 0xa1, (byte)'k', 0xca, 0x3f, 0x80, 0, 0]); // map16 {k: float32 1.0}
        w.WriteRaw([0xa1, (byte)'j']); w.WriteRaw([0xcc, 200]);                                // uint8
        w.WriteRaw([0xa1, (byte)'k']); w.WriteRaw([0xd1, 0x80, 0x00]);                        // int16
        w.WriteRaw([0xa1, (byte)'l']); w.WriteRaw([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);      // float64 NaN
    });
}
