#!/usr/bin/env python3
"""The appliance's RELP ack path without rsyslog's sender costs: one connection sends WINDOW syslog
frames at once, waits for every "rsp 200 OK" (each only after the batch is committed to disk),
repeats ROUNDS times. Prints events/s and the latency of a round (send window -> last ack).

    python3 perf/relp-window.py PORT ROUNDS WINDOW      # e.g. 12514 50 128 (librelp's default window)
"""
import socket, sys, time

port, rounds, window = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

def frame(txnr, cmd, data=b""):
    return f"{txnr} {cmd} {len(data)} ".encode() + data + b"\n" if data else f"{txnr} {cmd} 0\n".encode()

buf = b""
def read_frames(k):
    """Reads k response frames (TXNR SP rsp SP DATALEN [SP DATA] LF)."""
    global buf
    got = 0
    while got < k:
        parts = buf.split(b" ", 3)
        if len(parts) >= 3:
            length_text = parts[2].split(b"\n")[0]
            if length_text.isdigit():
                n = int(length_text)
                size = len(parts[0]) + 1 + len(parts[1]) + 1 + len(length_text) + (1 + n if n else 0) + 1
                if len(buf) >= size:
                    if b" 500 " in buf[:size]:
                        sys.exit("refused: " + buf[:size].decode(errors="replace"))
                    buf = buf[size:]
                    got += 1
                    continue
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("server closed the connection")
        buf += chunk

s.sendall(frame(1, "open", b"relp_version=0\ncommands=syslog\n"))
read_frames(1)
txnr, latencies = 2, []
started = time.time()
for r in range(rounds):
    out = b"".join(frame(txnr + i, "syslog", f"<13>1 2026-12-03T10:00:00Z host app - - - probe {r} {i}\n".encode())
                   for i in range(window))
    txnr += window
    t = time.time()
    s.sendall(out)
    read_frames(window)
    latencies.append(time.time() - t)
elapsed = time.time() - started
latencies.sort()
print(f"window {window}: {rounds * window} events in {elapsed:.2f} s = {rounds * window / elapsed:,.0f} events/s; "
      f"round p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p90 {latencies[int(len(latencies) * .9)] * 1000:.1f} ms")
