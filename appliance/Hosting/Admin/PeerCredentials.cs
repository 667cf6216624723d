using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;

namespace Redoubt.Hosting.Admin;

/// <summary>
/// Who is on the other end of a Unix socket, from the kernel (SO_PEERCRED: pid, uid, gid at connect
/// time; the peer cannot forge it). Linux only, which is where the appliance runs.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The effective uid of this process (from /proc/self/status: no P/Invoke needed).</summary>
    public static uint OwnUid { get; } = ReadOwnUid();

    public bool MayAdminister => Uid == 0 || Uid == OwnUid;

    /// <summary>"cli:NAME" for the audit log, NAME from /etc/passwd (or "uid:N").</summary>
    public string Actor => "cli:" + UserName(Uid);

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> cred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var n = socket.GetRawSocketOption(SolSocket, SoPeerCred, cred);
        if (n < 12) throw new SocketException((int)SocketError.OperationNotSupported);
        return new PeerCredentials(BinaryPrimitives.ReadInt32LittleEndian(cred), BinaryPrimitives.ReadUInt32LittleEndian(cred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(cred[8..]));
    }

    private static uint ReadOwnUid()
    {
        // "Uid:\treal\teffective\tsaved\tfs"
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
        throw new InvalidOperationException("no Uid line in /proc/self/status");
    }

    public static string UserName(uint uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 2 && f[2] == uid.ToString(CultureInfo.InvariantCulture)) return f[0];
            }
        }
        catch (IOException)
        {
        }
        return "uid:" + uid.ToString(CultureInfo.InvariantCulture);
    }
}
