#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host integration tests for mcbridged, on the running kernel.

Run as root inside a private network namespace (suite-bridge.sh does
`unshare -n`).  Uses real genetlink families (ethtool/monitor, nlctrl/notify)
and a veth pair; listens on 225.0.0.1 via 127.0.0.1.  Prints one line per
check ("ok   NAME" / "FAIL NAME: why") and exits non-zero if any failed.

Synchronisation is by readiness signals only: the bridge's "ready" line on
stdout, its log lines on stderr, datagrams on the listener; timeouts only
bound the wait for them.
"""
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BRIDGE = os.environ.get("MCBRIDGED", os.path.join(TOP, "build", "bin", "mcbridged"))
GROUP = "225.0.0.1"
WAIT = 10.0  # upper bound on any single wait

ETHTOOL_MSG_FEATURES_NTF = 13
ETHTOOL_A_FEATURES_HEADER = 1
ETHTOOL_A_HEADER_DEV_INDEX = 1
ETHTOOL_A_HEADER_DEV_NAME = 2

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from check import check, results, summary  # noqa: E402


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def is_tail(d):
    """An idle mapping's tail datagram (mcbridged --tail-ms): not an event,
    it only repeats the last bridge_seq; binary kind 4 at offset 5."""
    return (d.startswith(b'{"kind":"tail"')
            or (d[:4] == b"MCBR" and len(d) > 5 and d[5] == 4))


class Listener:
    """A member of GROUP on 127.0.0.1, on its own (kernel-chosen) port."""

    def __init__(self, port=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((GROUP, port))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1"))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock = s
        self.port = s.getsockname()[1]
        self.tails = 0

    def recv(self, timeout=WAIT):
        """The next datagram that is not a tail (those are counted)."""
        end = time.monotonic() + timeout
        while True:
            r, _, _ = select.select([self.sock], [], [],
                                    max(0, end - time.monotonic()))
            if not r:
                return None
            d = self.sock.recv(70000)
            if not is_tail(d):
                return d
            self.tails += 1

    def recv_json(self, timeout=WAIT):
        d = self.recv(timeout)
        if d is None:
            return None
        assert d.endswith(b"\n"), d
        return json.loads(d)

    def pending(self):
        """Datagrams already queued (none expected after a count)."""
        out = []
        while True:
            d = self.recv(0)
            if d is None:
                return out
            out.append(d)

    def close(self):
        self.sock.close()


class Bridge:
    def __init__(self, *args, env=None):
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen([BRIDGE, *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=e)
        self.err = b""
        self.out = b""
        os.set_blocking(self.p.stderr.fileno(), False)
        os.set_blocking(self.p.stdout.fileno(), False)

    def _pump(self, timeout):
        """Read what the bridge printed; False when nothing more can come."""
        fds = [f for f in (self.p.stdout, self.p.stderr) if not f.closed]
        if not fds:
            return False
        r, _, _ = select.select(fds, [], [], timeout)
        for f in r:
            d = f.read()
            if d == b"":
                f.close()  # EOF
            elif d:
                if f is self.p.stdout:
                    self.out += d
                else:
                    self.err += d
        return True

    def wait_for(self, stream, text, timeout=WAIT):
        """Wait until text appears on stdout/stderr; returns that line."""
        end = time.monotonic() + timeout
        while True:
            buf = self.out if stream == "out" else self.err
            i = buf.find(text.encode())
            if i >= 0:
                j = buf.find(b"\n", i)
                if j >= 0:
                    k = buf.rfind(b"\n", 0, i) + 1
                    return buf[k:j].decode()
            left = end - time.monotonic()
            if left <= 0 or not self._pump(left):
                return None

    def ready(self):
        return self.wait_for("out", "mcbridged: ready")

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        while self._pump(WAIT):
            pass  # until EOF on both pipes
        return rc

    def count(self, text):
        return self.err.count(text.encode())


def stats_of(line):
    """key=value pairs of a stats line."""
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


def sent_count(b, prefix):
    """SIGUSR1, then the "sent" counter of the mapping's stats line."""
    before = b.count("stats " + prefix)
    b.p.send_signal(signal.SIGUSR1)
    end = time.monotonic() + WAIT
    while b.count("stats " + prefix) == before and time.monotonic() < end:
        b._pump(end - time.monotonic())
    lines = [l for l in b.err.decode().splitlines() if "stats " + prefix in l]
    return int(stats_of(lines[-1]).get("sent", -1)) if lines else -1


def header_attrs(attrs):
    for a in attrs:
        if a["type"] == ETHTOOL_A_FEATURES_HEADER and "nested" in a:
            return {n["type"]: n for n in a["nested"]}
    return {}


def parse_nla(buf):
    out = []
    pos = 0
    while pos + 4 <= len(buf):
        ln, ty = struct.unpack_from("=HH", buf, pos)
        if ln < 4 or pos + ln > len(buf):
            raise ValueError("bad attribute")
        out.append((ty & 0x3FFF, buf[pos + 4:pos + ln]))
        pos += (ln + 3) & ~3
    return out


def toggle(dev, n):
    """n feature changes: tx-checksumming off/on alternately."""
    for i in range(n):
        run("ethtool", "-K", dev, "tso", "off" if i % 2 == 0 else "on")


def setup():
    run("ip", "link", "set", "lo", "up")
    run("ip", "link", "add", "mcbv0", "type", "veth", "peer", "name", "mcbv1")
    return socket.if_nametoindex("mcbv0")  # of this namespace, unlike /sys


def test_bad_options():
    cases = [
        (["--bogus"], "unknown option"),
        (["--map", "ethtool"], "expected FAMILY/GROUP"),
        (["--map", "ethtool/monitor=10.1.1.1:5"], "not an IPv4 multicast"),
        (["--ttl", "999"], "--ttl"),
        (["--format", "xml"], "json or binary"),
        (["stray"], "unexpected argument"),
        # Valid syntax, but not an address of this host: unresolvable.
        (["--map", "ethtool/monitor", "--iface", "192.0.2.1"], "192.0.2.1"),
    ]
    for args, msg in cases:
        p = subprocess.run([BRIDGE, *args], capture_output=True, timeout=WAIT)
        check("bad options %s -> exit 2" % " ".join(args),
              p.returncode == 2 and msg.encode() in p.stderr
              and p.stdout == b"",
              "rc=%d stderr=%r" % (p.returncode, p.stderr[-300:]))
    p = subprocess.run([BRIDGE, "--help"], capture_output=True, timeout=WAIT)
    check("--help -> exit 0, usage on stdout",
          p.returncode == 0 and b"Usage: mcbridged" in p.stdout
          and b"--map" in p.stdout)
    p = subprocess.run([BRIDGE, "--version"], capture_output=True, timeout=WAIT)
    check("--version", p.returncode == 0 and p.stdout.startswith(b"mcbridged "))


def test_events(ifindex):
    lj, lb, lj2 = Listener(), Listener(), Listener()
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = "@mcb-host-test-%d" % os.getpid()
    nsock.bind("\0" + name[1:])
    b = Bridge("--map", "ethtool/monitor=:%d" % lj.port,
               "--map", "ethtool/monitor=:%d,format=binary" % lb.port,
               "--map", "nlctrl/notify=:%d" % lj2.port,
               env={"NOTIFY_SOCKET": name})
    line = b.ready()
    check("ready line lists every mapping as subscribed",
          line is not None and line.count("subscribed") == 3
          and "ethtool/monitor -> 225.0.0.1:%d json" % lj.port in line
          and "binary" in line and "nlctrl/notify" in line, repr(line))
    r, _, _ = select.select([nsock], [], [], WAIT)
    msg = nsock.recv(100) if r else b""
    check("NOTIFY_SOCKET (abstract) gets READY=1", msg == b"READY=1", repr(msg))
    rcv = b.wait_for("err", "ethtool/monitor: netlink receive buffer")
    got = int(rcv.split("buffer ")[1].split()[0]) if rcv else 0
    check("netlink receive buffer >= 4 MiB, logged", got >= 4 << 20, repr(rcv))

    n = 6
    toggle("mcbv0", n)
    # The notifications were queued before ethtool returned, and the bridge
    # drains netlink before it reads signals: its stats are exact now.
    sent = sent_count(b, "ethtool/monitor -> 225.0.0.1:%d:" % lj.port)
    events = []
    while len(events) < sent:
        e = lj.recv_json()
        if e is None:
            break
        events.append(e)
    check("json: every feature change arrives (%d changes, %d sent, %d "
          "received)" % (n, sent, len(events)),
          sent >= n and len(events) == sent and not lj.pending())
    check("json: bridge_seq 1..N in order",
          [e["bridge_seq"] for e in events] == list(range(1, len(events) + 1)))
    ok = all(e["kind"] == "event" and e["family"] == "ethtool"
             and e["group"] == "monitor" and e["cmd"] == "13"
             and e["cmd_id"] == ETHTOOL_MSG_FEATURES_NTF
             and isinstance(e["bridge_time_ns"], int) for e in events)
    check("json: kind/family/group/cmd/cmd_id fields", ok and bool(events),
          repr(events[:1]))
    hdrs = [header_attrs(e.get("attrs", [])) for e in events]
    check("json: typed attrs: header nest with dev index (u32) and name (str)",
          bool(hdrs) and all(
              h.get(ETHTOOL_A_HEADER_DEV_INDEX, {}).get("u32") == ifindex
              and h.get(ETHTOOL_A_HEADER_DEV_NAME, {}).get("str") == "mcbv0"
              for h in hdrs), repr(hdrs[:1]))
    times = [e["bridge_time_ns"] for e in events]
    check("json: bridge_time_ns monotonic", times == sorted(times))
    runs = set(e.get("bridge_run") for e in events)
    check("json: one bridge_run, non-zero, in every datagram",
          len(runs) == 1 and isinstance(min(runs), int) and min(runs) > 0,
          repr(runs))

    bins = []
    while len(bins) < len(events):
        d = lb.recv()
        if d is None:
            break
        bins.append(d)
    check("binary: same number of datagrams", len(bins) == len(events) and
          not lb.pending(), "%d vs %d" % (len(bins), len(events)))
    okb = True
    why = ""
    bin_runs = set()
    for i, d in enumerate(bins):
        (magic, ver, kind, hlen, flags, cmd, gver, alen, olen, run, bseq,
         btime, kseq, ktime, count) = struct.unpack_from(">IBBHHBBIII5Q", d)
        fam = d[64:80].rstrip(b"\0")
        grp = d[80:96].rstrip(b"\0")
        attrs = parse_nla(d[96:])
        top = {t: v for t, v in attrs}
        nest = dict(parse_nla(top.get(ETHTOOL_A_FEATURES_HEADER, b"")))
        idx = struct.unpack("=I", nest.get(ETHTOOL_A_HEADER_DEV_INDEX, b"\0" * 4))[0]
        if not (magic == 0x4D434252 and ver == 1 and kind == 1 and hlen == 96
                and cmd == ETHTOOL_MSG_FEATURES_NTF and alen == len(d) - 96
                and olen == alen and flags & 0x7 == 0 and bseq == i + 1
                and flags & 0x20 and run != 0
                and kseq == 0 and count == 0
                and fam == b"ethtool" and grp == b"monitor"
                and idx == ifindex
                and nest.get(ETHTOOL_A_HEADER_DEV_NAME) == b"mcbv0\0"):
            okb = False
            why = repr(d[:120])
            break
        bin_runs.add(run)
    check("binary: header fields, family/group, raw attrs", okb and bool(bins), why)
    check("binary: one run (MCB_WIRE_F_RUN) for the mapping", len(bin_runs) == 1,
          repr(bin_runs))
    check("nlctrl/notify mapping: no datagram without family changes",
          lj2.recv(0) is None)

    b.p.send_signal(signal.SIGUSR1)
    line = b.wait_for("err", "stats ethtool/monitor -> 225.0.0.1:%d:" % lj.port)
    st = stats_of(line or "")
    check("SIGUSR1: stats line per mapping with counters",
          line is not None and st.get("received") == str(len(events))
          and st.get("sent") == str(len(events))
          and st.get("overruns") == "0" and st.get("lost") == "0"
          and st.get("send_errors") == "0"
          and b.wait_for("err", "stats nlctrl/notify") is not None, repr(line))
    check("still running after SIGUSR1", b.p.poll() is None)

    rc = b.stop(signal.SIGTERM)
    fin = b.wait_for("err", "final stats ethtool/monitor")
    check("SIGTERM: exit 0 with final stats", rc == 0 and fin is not None
          and stats_of(fin).get("sent") == str(len(events)),
          "rc=%s %r" % (rc, b.err[-400:]))
    nsock.close()
    lb.close()
    lj2.close()
    return lj


def test_restart(lj):
    """SIGKILL the bridge, start another: the same listener goes on."""
    b = Bridge("--map", "ethtool/monitor=:%d" % lj.port)
    check("restart: ready", b.ready() is not None)
    toggle("mcbv0", 2)
    sent = sent_count(b, "ethtool/monitor")
    got = [lj.recv_json() for _ in range(max(sent, 0))]
    check("restart: events arrive", sent >= 2 and None not in got
          and [e["bridge_seq"] for e in got] == list(range(1, sent + 1))
          and not lj.pending(), repr(got[:1]))
    b.p.kill()
    b.p.wait()
    b2 = Bridge("--map", "ethtool/monitor=:%d" % lj.port)
    check("restart after SIGKILL: ready", b2.ready() is not None)
    toggle("mcbv0", 1)
    e2 = lj.recv_json()
    check("restart after SIGKILL: listener goes on, bridge_seq from 1",
          e2 is not None and e2["bridge_seq"] == 1
          and e2["family"] == "ethtool", repr(e2))
    check("restart after SIGKILL: another bridge_run",
          e2 is not None and got and got[0] is not None
          and e2.get("bridge_run") not in (None, 0, got[0].get("bridge_run")),
          repr((got[:1], e2)))
    check("SIGINT: exit 0", b2.stop(signal.SIGINT) == 0)


def test_waiting():
    """A family that is not there: ready says waiting; nothing breaks."""
    l = Listener()
    path = "/tmp/mcb-notify-%d" % os.getpid()
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    b = Bridge("--map", "mcb-nosuch/events=:%d" % l.port,
               "--map", "nlctrl/nosuchgroup=:%d" % l.port,
               env={"NOTIFY_SOCKET": path})
    line = b.ready()
    check("missing family: ready line says waiting for family",
          line is not None and "waiting for family mcb-nosuch" in line,
          repr(line))
    check("missing group: ready line says waiting for group",
          line is not None and "waiting for group nosuchgroup of family nlctrl"
          in line, repr(line))
    r, _, _ = select.select([ns], [], [], WAIT)
    check("NOTIFY_SOCKET (path) gets READY=1 while waiting",
          bool(r) and ns.recv(100) == b"READY=1")
    b.p.send_signal(signal.SIGUSR1)
    st = b.wait_for("err", "stats mcb-nosuch/events")
    check("waiting: SIGUSR1 stats show the state",
          st is not None and "state=waiting for family" in st, repr(st))
    check("waiting: nothing sent", l.recv(0) is None)
    rc = b.stop()
    check("waiting: SIGTERM exit 0 with final stats",
          rc == 0 and b.count("final stats mcb-nosuch/events") == 1
          and b.count("final stats nlctrl/nosuchgroup") == 1, "rc=%s" % rc)
    ns.close()
    os.unlink(path)
    l.close()


def test_send_queue():
    """--send-queue: a thread sends, started after the privilege drop; the
    events arrive in order and the final counters say all were sent."""
    lj, lb = Listener(), Listener()
    b = Bridge("--map", "ethtool/monitor=:%d" % lj.port,
               "--map", "ethtool/monitor=:%d,format=binary" % lb.port,
               "--send-queue", "1M")
    check("send queue: ready", b.ready() is not None)
    n = 6
    # The first change may be none (the feature may already be off).
    toggle("mcbv0", n)
    got = []
    while len(got) < n - 1:
        e = lj.recv_json()
        if e is None:
            break
        got.append(e)
    rc = b.stop()
    fins = [stats_of(l) for l in b.err.decode().splitlines()
            if "final stats ethtool/monitor" in l]
    sent = int(fins[0].get("sent", -1)) if fins else -1
    got += [json.loads(d) for d in lj.pending()]
    bins = lb.pending()
    check("send queue: SIGTERM exit 0, everything read was sent",
          rc == 0 and len(fins) == 2 and all(
              f.get("sent") == f.get("received") and
              f.get("send_errors") == "0" for f in fins),
          "rc=%s %r" % (rc, fins))
    check("send queue: every event arrives once, bridge_seq 1..N in order",
          sent >= n - 1 and len(got) == sent and len(bins) == sent and
          [e["bridge_seq"] for e in got] == list(range(1, sent + 1)),
          "%d sent, %d json, %d binary" % (sent, len(got), len(bins)))
    check("send queue: a bad size is refused (exit 2)",
          subprocess.run([BRIDGE, "--send-queue", "x"], capture_output=True,
                         timeout=WAIT).returncode == 2)
    lj.close()
    lb.close()


def test_default_map():
    """No --map: mcbridge/events (module absent here) on 225.0.0.1:7788."""
    b = Bridge()
    line = b.ready()
    check("default mapping mcbridge/events -> 225.0.0.1:7788 json",
          line is not None and "mcbridge/events -> 225.0.0.1:7788 json" in line,
          repr(line))
    check("default: exit 0 on SIGTERM", b.stop() == 0)


def main():
    if os.geteuid() != 0:
        print("SKIP host tests: need root")
        return 0
    if not os.access(BRIDGE, os.X_OK):
        check("bridge binary built", False, BRIDGE)
        return 1
    ifindex = setup()
    test_bad_options()
    lj = test_events(ifindex)
    test_restart(lj)
    lj.close()
    test_waiting()
    test_send_queue()
    test_default_map()
    return summary("host")


if __name__ == "__main__":
    sys.exit(main())
