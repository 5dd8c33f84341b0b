#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fleet on one machine: mcbridge-nats against a real NATS cluster.

Run as root (suite-nats.sh).  Builds, with network namespaces of its own:
  core      3 nats-server nodes, JetStream, a cluster on loopback ports
            (client port 0.0.0.0:1422N, routes 127.0.0.1:1622N, monitoring
            127.0.0.1:1822N), data in a temporary directory;
  h1 h2 h3  one "host" each: mcbridged bridging ethtool/monitor (h2 in the
            binary format), a native event source multicasting into that
            group (mcb-genl-emit), and forwarders; a veth pair to core with
            198.18.N.1 (core) and 198.18.N.2 (host) - the RFC 2544 test range,
            inside namespaces made here and deleted at the end.

Checks: every event of every host is in the stream exactly once and in the
host's order, through killing the stream leader's node and killing and
restarting one of h1's two forwarders mid-stream; the whole cluster stopped
makes a small-buffered forwarder (--no-repair) drop, and its "lost" record
names exactly what is missing, while a repairing one started meanwhile has
every event from the bridge's history; one forwarder per host (--repair):
killed and restarted, or stopped through a burst its socket cannot hold,
still every event exactly once in order; NKey, user/password and .creds
(operator mode) against authenticating servers; malformed datagrams are
counted and not forwarded; bad command lines exit 2; `mcbridge-nats sub`
prints what mcbridge-listen prints, with the host; core NATS reaches a
live subscriber.

The stream is read with a minimal NATS client written here (the JetStream
API over the text protocol), not with the program under test.
Synchronisation: readiness lines, the servers' /healthz, stream state and
the forwarders' counters (SIGUSR1), each polled with a bound.
Prints "ok   NAME" / "FAIL NAME: why"; exits non-zero on a failure.
"""
import base64
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("MCB_BUILD", os.path.join(TOP, "build"))
BRIDGE = os.path.join(BUILD, "bin", "mcbridged")
FWD = os.path.join(BUILD, "bin", "mcbridge-nats")
LISTEN = os.path.join(BUILD, "bin", "mcbridge-listen")
EMIT = os.path.join(BUILD, "tests", "nats", "mcb-genl-emit")

N = int(os.environ.get("MCB_NATS_EVENTS", "3000"))	# per host, phase A
RATE = 400						# events/s per host
M = 2000						# per host, outage
STREAM = "FLEET"
HOSTS = ["h1", "h2", "h3"]
NODES = [1, 2, 3]
WAIT = 30.0

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from check import check, results, summary  # noqa: E402


T0 = time.monotonic()


def note(text):
    print("     [%5.1f s] %s" % (time.monotonic() - T0, text), flush=True)


def wait_until(what, pred, timeout=WAIT):
    """Poll pred (a readiness condition) until true; raise on timeout."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.05)


def sh(*cmd, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


# ---- namespaces ---------------------------------------------------------

CLONE_NEWNET = 0x40000000


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


class Net:
    def __init__(self, tag):
        self.core = "mcbn-%s-core" % tag
        self.hosts = {h: "mcbn-%s-%s" % (tag, h) for h in HOSTS}
        self.made = []

    def build(self):
        for ns in [self.core] + list(self.hosts.values()):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for i, h in enumerate(HOSTS, 1):
            ns = self.hosts[h]
            a, b = "mcbn%dc" % i, "mcbn%dh" % i
            sh("ip", "link", "add", a, "netns", self.core, "type", "veth",
               "peer", "name", b, "netns", ns)
            sh("ip", "addr", "add", "198.18.%d.1/24" % i, "dev", a,
               ns=self.core)
            sh("ip", "link", "set", a, "up", ns=self.core)
            sh("ip", "addr", "add", "198.18.%d.2/24" % i, "dev", b, ns=ns)
            sh("ip", "link", "set", b, "up", ns=ns)

    def urls(self, h):
        i = HOSTS.index(h) + 1
        return ",".join("nats://198.18.%d.1:%d" % (i, 14220 + n)
                        for n in NODES)

    def destroy(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)


# ---- processes ------------------------------------------------------------

class Proc:
    """A process with stdout and stderr in files of the work directory."""

    def __init__(self, work, name, cmd, ns=None):
        self.name = name
        self.out = os.path.join(work, name + ".out")
        self.err = os.path.join(work, name + ".err")
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        self.cmd = cmd
        with open(self.out, "ab") as o, open(self.err, "ab") as e:
            self.p = subprocess.Popen(cmd, stdout=o, stderr=e,
                                      stdin=subprocess.DEVNULL)

    def text(self, which="err"):
        with open(self.err if which == "err" else self.out, "r",
                  errors="replace") as f:
            return f.read()

    def wait_line(self, pattern, which="out", timeout=WAIT):
        rx = re.compile(pattern, re.M)

        def seen():
            m = rx.search(self.text(which))
            if not m and self.p.poll() is not None:
                raise RuntimeError("%s exited %s: %s" % (
                    self.name, self.p.returncode, self.text()[-2000:]))
            return m
        return wait_until("%s: /%s/" % (self.name, pattern), seen, timeout)

    def kill(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT):
        self.kill(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()

    def stats(self, timeout=WAIT):
        """The counters after a SIGUSR1 (the forwarder's stats line)."""
        before = self.text().count(" stats: ")
        self.kill(signal.SIGUSR1)

        def whole_line():
            # The line may be on its way in more than one write: parsed
            # once its end is there.
            t = self.text()
            if t.count(" stats: ") <= before:
                return None
            rest = t.rsplit(" stats: ", 1)[1]
            return rest if "\n" in rest else None
        return parse_stats(wait_until(self.name + " stats", whole_line,
                                      timeout))


def parse_stats(line):
    line = line.split("\n", 1)[0]
    return {k: (int(v) if v.isdigit() else v)
            for k, v in re.findall(r"(\w+)=(\S+)", line)}


# ---- NATS: servers and a minimal client -----------------------------------

class Server:
    def __init__(self, work, n):
        self.n = n
        self.work = work
        self.conf = os.path.join(work, "n%d.conf" % n)
        routes = ", ".join("nats-route://127.0.0.1:%d" % (16220 + m)
                           for m in NODES)
        with open(self.conf, "w") as f:
            f.write("""server_name: n%d
listen: 0.0.0.0:%d
http: 127.0.0.1:%d
jetstream { store_dir: "%s", max_memory_store: 64MB, max_file_store: 1GB }
cluster { name: fleet, listen: 127.0.0.1:%d, routes: [%s] }
""" % (n, 14220 + n, 18220 + n, os.path.join(work, "js%d" % n),
                16220 + n, routes))
        self.proc = None

    def start(self):
        self.proc = Proc(self.work, "nats%d" % self.n,
                         ["nats-server", "-c", self.conf])

    def healthy(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" %
                                        (18220 + self.n), timeout=1) as r:
                return json.load(r).get("status") == "ok"
        except (OSError, ValueError):
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            self.proc.stop(sig)
            self.proc = None


class NatsClient:
    """Just enough of the NATS protocol for JetStream API requests."""

    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout)
        self.buf = b""
        self.sid = 0
        self.inbox = "_INBOX.suite%d" % os.getpid()
        info = self._line()
        assert info.startswith(b"INFO "), info
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,'
                       b'"headers":true,"no_responders":true,'
                       b'"protocol":1,"name":"suite"}\r\n'
                       b"SUB " + self.inbox.encode() + b".* 1\r\nPING\r\n")
        while self._line() != b"PONG":
            pass
        self.n = 0

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("server closed")
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d

    def request(self, subject, payload=b""):
        self.n += 1
        reply = "%s.%d" % (self.inbox, self.n)
        self.s.sendall(b"PUB %s %s %d\r\n%s\r\n" % (
            subject.encode(), reply.encode(), len(payload), payload))
        while True:
            line = self._line()
            if line == b"PING":
                self.s.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode())
            w = line.split()
            if w and w[0] in (b"MSG", b"HMSG"):
                hlen = int(w[-2]) if w[0] == b"HMSG" else 0
                data = self._bytes(int(w[-1]))
                if w[1].decode() == reply:
                    return data[hlen:]

    def api(self, what, body=None):
        return json.loads(self.request("$JS.API." + what,
                                       json.dumps(body).encode()
                                       if body is not None else b""))

    def close(self):
        self.s.close()


def stream_info(port=14221, timeout=10):
    c = NatsClient(port, timeout)
    try:
        return c.api("STREAM.INFO." + STREAM)
    finally:
        c.close()


def live_port(servers):
    for s in servers:
        if s.proc and s.proc.p.poll() is None:
            return 14220 + s.n
    raise RuntimeError("no server running")


def parse_headers(raw):
    h = {}
    for line in raw.decode(errors="replace").split("\r\n")[1:]:
        if ": " in line:
            k, v = line.split(": ", 1)
            h[k] = v
    return h


def read_stream(port):
    """Every message of the stream: (seq, subject, headers, payload)."""
    c = NatsClient(port)
    out = []
    try:
        st = c.api("STREAM.INFO." + STREAM)["state"]
        for seq in range(st["first_seq"], st["last_seq"] + 1):
            r = c.api("STREAM.MSG.GET." + STREAM, {"seq": seq})
            if "error" in r:
                continue
            m = r["message"]
            hdrs = parse_headers(base64.b64decode(m["hdrs"])) \
                if m.get("hdrs") else {}
            out.append((m["seq"], m["subject"], hdrs,
                        base64.b64decode(m.get("data", ""))))
    finally:
        c.close()
    return out


def attr(ev, t):
    for a in ev.get("attrs", []):
        if a["type"] == t:
            return a.get("u64")
    return None


# ---- the fleet ---------------------------------------------------------------

class Fleet:
    def __init__(self, work, net):
        self.work = work
        self.net = net
        self.servers = [Server(work, n) for n in NODES]
        self.bridges = {}
        self.fwd = {}
        self.seq = 0

    def start_cluster(self):
        for s in self.servers:
            if not s.proc:
                s.start()
        wait_until("cluster healthy",
                   lambda: all(s.healthy() for s in self.servers), 60)

    def start_bridge(self, h, fmt, name=None):
        # A name of its own for a restarted one: its readiness is read from
        # its own output file, not the first bridge's.
        b = Proc(self.work, name or "bridge-" + h,
                 [BRIDGE, "--map", "ethtool/monitor=225.0.0.1:7788,format=" +
                  fmt], ns=self.net.hosts[h])
        b.wait_line(r"^mcbridged: ready")
        self.bridges[h] = b

    def start_fwd(self, h, name, *extra, wait_stream=True):
        self.seq += 1
        f = Proc(self.work, "%s-%d" % (name, self.seq),
                 [FWD, "--host", h, "-s", self.net.urls(h), "-j", STREAM,
                  "--replicas", "3", "--reconnect-max", "1000"] +
                 list(extra), ns=self.net.hosts[h])
        f.wait_line(r"^mcbridge-nats: ready:")
        if wait_stream:
            f.wait_line(r"stream FLEET (created|checked)", "err", 60)
        self.fwd[name] = f
        return f

    def emit(self, h, count, start, rate):
        return Proc(self.work, "emit-%s-%d" % (h, start),
                    [EMIT, "--count", str(count), "--start", str(start),
                     "--rate", str(rate), "--pad", "64"],
                    ns=self.net.hosts[h])

    def stream_count(self):
        """Messages in the stream, as the first server that answers
        says; -1 when none can (an election)."""
        for s in self.servers:
            if not s.proc:
                continue
            try:
                return stream_info(14220 + s.n, 2)["state"]["messages"]
            except (OSError, RuntimeError, KeyError, ValueError):
                continue
        return -1

    def leader(self):
        info = stream_info(live_port(self.servers))
        return int(info["cluster"]["leader"].lstrip("n"))

    def stop_all(self):
        for f in self.fwd.values():
            f.stop(signal.SIGKILL)
        for b in self.bridges.values():
            b.stop()
        for s in self.servers:
            s.stop(signal.SIGKILL)


def by_host(msgs):
    """{host: [(stream seq, event dict, headers)]} in stream order."""
    out = {h: [] for h in HOSTS}
    for seq, subj, hdrs, data in msgs:
        tok = subj.split(".")
        if tok[0] != "mcbridge" or tok[1] not in out:
            continue
        out[tok[1]].append((seq, json.loads(data), hdrs, subj))
    return out


def final_stats(f):
    return parse_stats(f.text().rsplit("final stats: ", 1)[-1])


def bad_command_lines():
    cases = [
        (["-s", "http://h:1"], "scheme"),
        (["-s", "nats://h:70000"], "port"),
        (["-s", "nats://"], "no host"),
        (["--prefix", "a.*.b"], "wildcard"),
        (["--prefix", "a..b"], "empty token"),
        (["--prefix", "has space"], "space"),
        (["-j", "BAD.NAME"], "not a stream name"),
        (["--host", "two words"], "printable"),
        (["sub", "-S", "a.>.b"], "whole token"),
        (["sub", "-S", "a..b"], "empty token"),
        (["sub", "-s", "ftp://x"], "scheme"),
        (["sub", "--stream", "x.y"], "not a stream name"),
    ]
    for args, msg in cases:
        p = subprocess.run([FWD] + args, capture_output=True, text=True,
                           timeout=10)
        check("bad command line %s: exit 2, says %r" % (" ".join(args), msg),
              p.returncode == 2 and msg in p.stderr and
              "Try 'mcbridge-nats" in p.stderr,
              "exit %d: %s" % (p.returncode, p.stderr.strip()))


def send_garbage(net, h):
    """Malformed datagrams on h's group, from a local process."""
    code = r"""
import socket, struct, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
             socket.inet_aton("127.0.0.1"))
bad = [b"", b"garbage", b"{", b'{"kind":"event"}', b'{"kind":"x"}',
       b"MCBR" + b"\x00" * 20, struct.pack(">I", 0x4d434252) + b"\x01" * 92,
       b'{"kind":"event","family":"a.b*c","group":"g"',
       b"\xff\xfe" * 300, os.urandom(1000)]
for i in range(50):
    s.sendto(bad[i % len(bad)], ("225.0.0.1", 7788))
"""
    sh("python3", "-c", code, ns=net.hosts[h])
    return 50


def main():
    tag = str(os.getpid())
    work = tempfile.mkdtemp(prefix="mcbn-suite-")
    net = Net(tag)
    fleet = None
    t0 = time.monotonic()
    try:
        bad_command_lines()
        net.build()
        enter_netns(net.core)
        fleet = Fleet(work, net)
        fleet.start_cluster()
        check("3-node cluster with JetStream healthy", True)
        run(fleet, net)
    except Exception as e:		# a broken setup is a failure too
        check("fleet test ran to the end", False, "%s: %s" % (
            type(e).__name__, e))
    finally:
        if fleet:
            fleet.stop_all()
        net.destroy()
        if os.environ.get("MCB_KEEP"):
            note("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    note("fleet test took %.0f s" % (time.monotonic() - t0))
    return summary()


def run(fleet, net):
    # Bridges: h2's sends binary datagrams, rendered as JSON by its
    # forwarder.
    for h in HOSTS:
        fleet.start_bridge(h, "binary" if h == "h2" else "json")
    # h1: two forwarders of one mapping, the same Nats-Msg-Ids.
    f1a = fleet.start_fwd("h1", "f1a")
    fleet.start_fwd("h1", "f1b")
    f2 = fleet.start_fwd("h2", "f2")
    f3 = fleet.start_fwd("h3", "f3")
    check("stream created by one forwarder, checked by the others",
          sum("stream FLEET created" in f.text()
              for f in fleet.fwd.values()) == 1)
    info = stream_info()
    check("stream FLEET: 3 replicas, subjects mcbridge.>",
          info["config"]["num_replicas"] == 3 and
          info["config"]["subjects"] == ["mcbridge.>"], info["config"])

    # Listeners next to the forwarders, for the format comparison.
    lj = {h: Proc(fleet.work, "listen-json-" + h, [LISTEN, "-c", "20"],
                  ns=net.hosts[h]) for h in ("h1", "h2")}
    lh = {h: Proc(fleet.work, "listen-human-" + h,
                  [LISTEN, "-c", "20", "-H"], ns=net.hosts[h])
          for h in ("h1", "h2")}
    for p in list(lj.values()) + list(lh.values()):
        p.wait_line(r"listening on", "err")

    # Bad datagrams on h3's group: counted, never forwarded.
    nbad = send_garbage(net, "h3")
    wait_until("f3 counts the bad datagrams",
               lambda: f3.stats().get("bad") == nbad)
    check("malformed datagrams counted by the forwarder (%d)" % nbad, True)

    # ---- phase A: a stream of events, a node and a forwarder killed ----
    # The emitters' progress, seen by the forwarders, times the faults.
    emitters = [fleet.emit(h, N, 1, RATE) for h in HOSTS]
    note("emitting %d events per host at %d/s" % (N, RATE))
    f1b = fleet.fwd["f1b"]
    wait_until("a quarter emitted", lambda: f2.stats()["received"] >= N / 4)
    victim = fleet.leader()
    fleet.servers[victim - 1].stop(signal.SIGKILL)
    note("killed node n%d (the stream's leader)" % victim)
    wait_until("half emitted", lambda: f1b.stats()["received"] >= N / 2)
    f1a.stop(signal.SIGKILL)
    note("killed forwarder f1a")
    # Joined again: it holds what comes until it can publish.
    fleet.start_fwd("h1", "f1a", wait_stream=False)
    at = f1b.stats()["received"]
    check("forwarder f1a killed and restarted while events flow "
          "(back at event %d of %d)" % (at, N), at < N)
    for e in emitters:
        check("emitter %s sent %d events" % (e.name, N),
              e.p.wait(120) == 0 and "count=%d" % N in e.text("out"),
              e.text("out") + e.text())
    fleet.servers[victim - 1].start()
    fleet.start_cluster()
    wait_until("all %d events in the stream" % (3 * N),
               lambda: fleet.stream_count() >= 3 * N, 120)
    # Stop: each forwarder publishes what it holds and exits 0.
    for name in ("f1a", "f1b", "f2", "f3"):
        f = fleet.fwd[name]
        rc = f.stop()
        fin = final_stats(f)
        if name == "f1a":
            check("restarted f1a forwarded events of the stream's second "
                  "half (%s)" % fin.get("received"),
                  0 < fin.get("received", 0) < N)
        check("forwarder %s drains on SIGTERM and exits 0" % name,
              rc == 0 and fin.get("buffered") == 0, "exit %s %s" % (rc, fin))
        note("%s: published=%s acknowledged=%s duplicates=%s retries=%s "
             "timeouts=%s nacks=%s reconnects=%s reordered=%s" % (
                 name, fin.get("published"), fin.get("acknowledged"),
                 fin.get("duplicates"), fin.get("retries"),
                 fin.get("timeouts"), fin.get("nacks"),
                 fin.get("reconnects"), fin.get("reordered")))
    dups_h1 = sum(final_stats(fleet.fwd[n]).get("duplicates", 0)
                  for n in ("f1a", "f1b"))
    check("h1's two forwarders: the stream suppressed the duplicates (%d)" %
          dups_h1, dups_h1 > 0)

    msgs = read_stream(live_port(fleet.servers))
    hosts = by_host(msgs)
    check("stream holds %d messages, all of the fleet" % (3 * N),
          len(msgs) == 3 * N and sum(len(v) for v in hosts.values()) ==
          3 * N, "%d messages" % len(msgs))
    for h in HOSTS:
        evs = hosts[h]
        nums = [attr(e, 100) for _, e, _, _ in evs]
        bseqs = [e["bridge_seq"] for _, e, _, _ in evs]
        check("%s: every event exactly once (%d of %d)" % (h, len(nums), N),
              sorted(nums) == list(range(1, N + 1)),
              "missing %s, extra %d" % (
                  sorted(set(range(1, N + 1)) - set(nums))[:10],
                  len(nums) - len(set(nums))))
        inversions = sum(1 for a, b in zip(bseqs, bseqs[1:]) if b < a)
        if h == "h1":
            # Two forwarders: each publishes in order, but one that lags
            # (paused after refusals) stores its backlog after the other
            # stored later events.  Exactly once holds; the order is
            # bridge_seq's to restore (README, "A fleet").
            note("h1 (two forwarders): %d place(s) where bridge_seq goes "
                 "back in the stream" % inversions)
        else:
            check("%s: in the host's order" % h,
                  nums == sorted(nums) and bseqs == sorted(bseqs) and
                  len(set(bseqs)) == len(bseqs),
                  "%d inversions" % inversions)
        ok = all(e["kind"] == "event" and e["family"] == "ethtool" and
                 subj == "mcbridge.%s.ethtool.monitor.13" % h and
                 hd.get("Mcb-Host") == h and
                 hd.get("Mcb-Bridge-Seq") == str(e["bridge_seq"]) and
                 hd.get("Mcb-Format") == "json" and
                 hd.get("Nats-Msg-Id") == "%s/225.0.0.1:7788/ethtool/monitor/"
                 "%x/%d" % (h, e["bridge_run"], e["bridge_seq"])
                 for _, e, hd, subj in evs)
        check("%s: subject, Nats-Msg-Id and headers of every message" % h,
              ok, evs[0] if evs else "none")
    check("h2's binary datagrams published as JSON",
          all("attrs" in e for _, e, _, _ in hosts["h2"]))

    # The reader prints what mcbridge-listen printed, with the host.
    for h in ("h1", "h2"):
        for human, lst in ((False, lj), (True, lh)):
            lst[h].p.wait(30)
            want = lst[h].text("out").splitlines()
            cmd = ["sub", "-s", "nats://127.0.0.1:%d" %
                   live_port(fleet.servers), "--stream", STREAM, "-S",
                   "mcbridge.%s.>" % h, "-c", "20", "-t", "20"] + \
                  (["-H"] if human else [])
            p = subprocess.run([FWD] + cmd, capture_output=True, text=True,
                               timeout=40)
            got = p.stdout.splitlines()
            if human:
                exp = ["%s: %s" % (h, line) for line in want]
            else:
                exp = [json.dumps(dict([("kind", json.loads(line)["kind"]),
                                        ("host", h)] +
                                       list(json.loads(line).items())),
                                  separators=(",", ":"))
                       for line in want]
                got = [json.dumps(json.loads(line), separators=(",", ":"))
                       for line in got]
            check("sub %s prints %s's events as mcbridge-listen%s does" %
                  ("-H" if human else "", h, " -H" if human else ""),
                  p.returncode == 0 and len(want) == 20 and got == exp,
                  "exit %d, %s vs %s" % (p.returncode, got[:1], exp[:1]))

    # Settings a stream does not fit: exit 2 before ready counts as such.
    for extra, msg in ((["--replicas", "1"], "not 1"),
                       (["--retention", "workqueue"], "not workqueue")):
        f = Proc(fleet.work, "misfit", [FWD, "--host", "h3", "-s",
                                        net.urls("h3"), "-j", STREAM] + extra,
                 ns=net.hosts["h3"])
        rc = f.p.wait(30)
        check("stream with other %s: exit 2" % extra[0],
              rc == 2 and msg in f.text(), "exit %d: %s" % (rc, f.text()))
    f = Proc(fleet.work, "nocreate", [FWD, "--host", "h3", "-s",
                                      net.urls("h3"), "-j", "NOSUCH",
                                      "--no-create"], ns=net.hosts["h3"])
    rc = f.p.wait(30)
    check("--no-create with no such stream: exit 2",
          rc == 2 and "does not exist" in f.text(), f.text())

    # ---- phase B: the whole cluster away ----
    base = {h: max(e["bridge_seq"] for _, e, _, _ in hosts[h])
            for h in HOSTS}
    # The buffer's own bounds: without the repair channel (which would
    # fetch the outage's events from the bridge's history instead).
    small = fleet.start_fwd("h2", "f2b", "--buffer", "256K", "--no-repair")
    big = fleet.start_fwd("h3", "f3b", "--no-repair")
    for s in fleet.servers:
        s.stop()
    for f in (small, big):
        f.wait_line(r"NATS unreachable", "err")
    # With it (the default), started while the cluster is away: it cannot
    # tell where the stream left off, so it leaves the events to the
    # bridge's history until it can; then its small buffer fills, and it
    # takes the rest from the history as NATS takes what it holds.
    rep1 = fleet.start_fwd("h1", "f1r", "--buffer", "256K",
                           wait_stream=False)
    emitters = [fleet.emit(h, M, N + 1, 2000) for h in HOSTS]
    for e in emitters:
        e.p.wait(60)
    wait_until("forwarders received the outage's events",
               lambda: small.stats().get("received") == M and
               big.stats().get("received") == M and
               rep1.stats().get("received") == M)
    st = small.stats()
    check("small buffer full while away: events dropped and counted",
          st["lost"] > 0 and st["buffered_bytes"] <= 256 * 1024, st)
    check("large buffer holds all the outage's %d events" % M,
          big.stats()["buffered"] == M)
    fleet.start_cluster()
    wait_until("forwarders emptied their buffers",
               lambda: small.stats()["buffered"] == 0 and
               small.stats()["lost_pending"] == 0 and
               big.stats()["buffered"] == 0 and
               rep1.stats()["acknowledged"] == M and
               rep1.stats()["buffered"] == 0, 120)
    st = small.stats()
    msgs = read_stream(live_port(fleet.servers))
    hosts = by_host(msgs)
    new2 = [(e, hd, subj) for _, e, hd, subj in hosts["h2"]
            if e["bridge_seq"] > base["h2"]]
    kept = [e["bridge_seq"] for e, _, _ in new2 if e["kind"] == "event"]
    lost = [(e, hd, subj) for e, hd, subj in new2 if e["kind"] == "lost"]
    check("one lost record announced on h2", len(lost) == 1 and
          st["lost_records"] == 1, lost)
    if lost:
        e, hd, subj = lost[0]
        first, last = int(hd["Mcb-Lost-First"]), int(hd["Mcb-Lost-Last"])
        dropped = set(range(first, last + 1))
        allseq = set(range(base["h2"] + 1, base["h2"] + M + 1))
        check("lost record: count = the forwarder's lost = %d" % st["lost"],
              e["count"] == st["lost"] == int(hd["Mcb-Lost-Count"]) ==
              len(dropped) and e["bridge_seq"] == first, (e, hd, st))
        check("what is missing is exactly what was announced",
              set(kept) | dropped == allseq and not set(kept) & dropped and
              len(kept) == len(set(kept)),
              "kept %d, announced %d..%d" % (len(kept), first, last))
        pos = [i for i, x in enumerate(new2) if x[0]["kind"] == "lost"][0]
        check("the lost record sits where the events went missing",
              all(x[0]["bridge_seq"] < first for x in new2[:pos]) and
              all(x[0]["bridge_seq"] > last for x in new2[pos + 1:]))
        check("lost record subject and origin header",
              hd.get("Mcb-Origin") == "mcbridge-nats" and
              subj == "mcbridge.h2.ethtool.monitor.lost", (subj, hd))
    got3 = [e["bridge_seq"] for _, e, _, _ in hosts["h3"]
            if e["bridge_seq"] > base["h3"]]
    check("h3 (large buffer): all %d outage events, in order, once" % M,
          got3 == list(range(base["h3"] + 1, base["h3"] + M + 1)),
          "%d events" % len(got3))
    got1 = [e["bridge_seq"] for _, e, _, _ in hosts["h1"]
            if e["bridge_seq"] > base["h1"]]
    check("h1 (--repair): the outage's %d events from the bridge's "
          "history, in order, once" % M,
          got1 == list(range(base["h1"] + 1, base["h1"] + M + 1)),
          "%d events" % len(got1))
    st = rep1.stats()
    check("h1 (--repair, --buffer 256K, started with NATS away): all %d "
          "deferred, then resumed after the stream's last event and "
          "repaired within the buffer, nothing lost (%s)" % (
              M, {k: st.get(k) for k in (
                  "resumed", "deferred", "repaired", "unrepairable", "lost",
                  "buffered_max_bytes")}),
          st["resumed"] == 1 and st["deferred"] == M and
          st["repaired"] == M and st["unrepairable"] == 0 and
          st["lost"] == 0 and st["buffered_max_bytes"] <= 256 * 1024, st)
    for f in (small, big, rep1):
        check("forwarder %s exits 0 on SIGTERM" % f.name, f.stop() == 0)

    restart_and_overrun(fleet, net)
    bridge_restarted(fleet, net)

    # ---- core NATS: a live subscriber ----
    sub = Proc(fleet.work, "sub-core",
               [FWD, "sub", "-s", "nats://127.0.0.1:14221", "-S",
                "fleetcore.>", "-c", "10", "-t", "30"])
    sub.wait_line(r"subscribed to", "err")
    core = Proc(fleet.work, "f-core", [FWD, "--host", "h1", "-s",
                                       net.urls("h1"), "--prefix",
                                       "fleetcore"], ns=net.hosts["h1"])
    core.wait_line(r"connected to", "err")
    e = fleet.emit("h1", 10, 100001, 0)
    e.p.wait(30)
    rc = sub.p.wait(40)
    lines = [json.loads(x) for x in sub.text("out").splitlines()]
    check("core NATS: the subscriber got the 10 events, in order",
          rc == 0 and [attr(x, 100) for x in lines] ==
          list(range(100001, 100011)) and
          all(x["host"] == "h1" for x in lines), sub.text("out")[:300])
    check("core forwarder exits 0 on SIGTERM", core.stop() == 0)
    tls(fleet, net)
    auth(fleet, net)
    creds(fleet, net)


def restart_and_overrun(fleet, net):
    """One forwarder per host (--repair, the default with JetStream): h1's
    killed (SIGKILL) mid-stream and restarted, h2's stopped (SIGSTOP) with
    a tiny socket buffer through a burst, h3's left alone."""
    K, B, START = 2000, 1000, 200001
    hosts = by_host(read_stream(live_port(fleet.servers)))
    # Where each host's part of the stream ends: an event, or a lost
    # record's range (h2's, from phase B).
    base = {h: max(max(e["bridge_seq"], int(hd.get("Mcb-Lost-Last", 0)))
                   for _, e, hd, _ in hosts[h])
            for h in HOSTS}
    before = fleet.stream_count()
    fa = fleet.start_fwd("h1", "fC1")
    fb = fleet.start_fwd("h2", "fC2", "--rcvbuf", "4096")
    fc = fleet.start_fwd("h3", "fC3")
    emitters = [fleet.emit(h, K, START, RATE) for h in ("h1", "h3")]
    wait_until("a third emitted on h1",
               lambda: fa.stats()["received"] >= K / 3)
    fa.stop(signal.SIGKILL)
    note("killed forwarder fC1 (the only one of h1)")
    fa = fleet.start_fwd("h1", "fC1", wait_stream=False)
    at = fc.stats()["received"]
    check("h1's only forwarder killed and restarted while events flow "
          "(back at about event %d of %d)" % (at, K), at < K)
    # h2: its forwarder stopped through a burst its socket cannot hold.
    fb.kill(signal.SIGSTOP)
    burst = fleet.emit("h2", B, START, 2000)
    check("emitter on h2 sent its burst of %d" % B, burst.p.wait(60) == 0)
    fb.kill(signal.SIGCONT)
    for e in emitters:
        check("emitter %s sent %d events" % (e.name, K), e.p.wait(120) == 0)
    want = before + 2 * K + B
    wait_until("all %d events in the stream" % (2 * K + B),
               lambda: fleet.stream_count() >= want, 120)
    fins = {}
    for f in (fa, fb, fc):
        rc = f.stop()
        fins[f.name] = fin = final_stats(f)
        check("forwarder %s exits 0 on SIGTERM, nothing held" % f.name,
              rc == 0 and fin.get("buffered") == 0, (rc, fin))
        note("%s: received=%s repaired=%s unrepairable=%s deferred=%s "
             "resumed=%s requests=%s duplicates=%s lost=%s" % (
                 f.name, fin.get("received"), fin.get("repaired"),
                 fin.get("unrepairable"), fin.get("deferred"),
                 fin.get("resumed"), fin.get("repair_requests"),
                 fin.get("duplicates"), fin.get("lost")))
    msgs = read_stream(live_port(fleet.servers))
    check("stream grew by exactly %d messages" % (2 * K + B),
          len(msgs) == want, "%d, not %d" % (len(msgs), want))
    hosts = by_host(msgs)
    for h, n in (("h1", K), ("h2", B), ("h3", K)):
        evs = [(e, hd) for _, e, hd, _ in hosts[h]
               if e["bridge_seq"] > base[h]]
        nums = [attr(e, 100) for e, _ in evs]
        bseqs = [e["bridge_seq"] for e, _ in evs]
        check("%s (one forwarder): every event exactly once, in the "
              "host's order, no lost record (%d of %d)" % (h, len(evs), n),
              nums == list(range(START, START + n)) and
              bseqs == list(range(base[h] + 1, base[h] + n + 1)) and
              all(e["kind"] == "event" for e, _ in evs),
              "missing %s, extra %d, kinds %s, base %d, first %s %s" % (
                  sorted(set(range(START, START + n)) -
                         set(x for x in nums if x))[:10],
                  len(nums) - len(set(nums)),
                  sorted(set(e["kind"] for e, _ in evs)), base[h],
                  nums[:5], bseqs[:5]))
    a, b = fins[fa.name], fins[fb.name]
    check("restarted h1 forwarder: resumed after the stream's last event, "
          "the gap repaired from the history (repaired=%s), none "
          "unrepairable" % a.get("repaired"),
          a.get("resumed") == 1 and a.get("repaired", 0) > 0 and
          a.get("unrepairable") == 0 and a.get("lost") == 0, a)
    check("h2 forwarder stopped through a burst: its socket dropped "
          "(gaps seen), all repaired (repaired=%s of %d), none "
          "unrepairable" % (b.get("repaired"), B),
          b.get("received", 0) < B and b.get("repaired", 0) > 0 and
          b.get("received") + b.get("repaired") >= B and
          b.get("unrepairable") == 0 and b.get("lost") == 0, b)


def bridge_restarted(fleet, net):
    """h3's bridge restarted while h3 has no forwarder: a new forwarder
    finds the stream's last h3 event in the old bridge run, whose end the
    new bridge cannot give.  It announces that once, as an open lost
    record, then takes the new run from its start out of the bridge's
    history (the events were sent before it started)."""
    K, START = 200, 400001
    h3 = by_host(read_stream(live_port(fleet.servers)))["h3"]
    last_sseq, last_ev, last_hd, _ = h3[-1]
    old_run = last_hd.get("Mcb-Bridge-Run")
    before = fleet.stream_count()
    fleet.bridges["h3"].stop()
    fleet.start_bridge("h3", "json", "bridge-h3-restarted")
    note("restarted h3's bridge; the stream's last h3 event: run %s "
         "bridge_seq %d" % (old_run, last_ev["bridge_seq"]))
    em = fleet.emit("h3", K, START, RATE)
    check("emitter on h3 sent %d events to the new bridge, no forwarder "
          "running" % K, em.p.wait(60) == 0)
    f = fleet.start_fwd("h3", "fD3")
    want = before + 1 + K
    try:
        wait_until("the lost record and %d events in the stream" % K,
                   lambda: fleet.stream_count() >= want, 60)
    except TimeoutError:
        check("the lost record and %d events reach the stream" % K, False,
              "%d of %d; the forwarder: %s; its log: %s; the bridge's: %s" % (
                  fleet.stream_count() - before, 1 + K, f.stats(),
                  f.text()[-1500:], fleet.bridges["h3"].text()[-800:]))
    rc = f.stop()
    fin = final_stats(f)
    note("%s: received=%s repaired=%s unrepairable=%s resumed_other_run=%s "
         "lost=%s" % (f.name, fin.get("received"), fin.get("repaired"),
                      fin.get("unrepairable"), fin.get("resumed_other_run"),
                      fin.get("lost")))
    new = [(e, hd) for sseq, e, hd, _ in
           by_host(read_stream(live_port(fleet.servers)))["h3"]
           if sseq > last_sseq]
    total = fleet.stream_count()
    check("stream grew by exactly %d for h3: one lost record and %d "
          "events" % (1 + K, K), len(new) == 1 + K and total == want,
          "%d new, %d in all, want %d" % (len(new), total, want))
    lost, lhd = new[0] if new else ({}, {})
    check("first a lost record of the old run, open from bridge_seq %d on "
          "(Mcb-Lost-Open: 1, no Mcb-Lost-Last)" % (last_ev["bridge_seq"] + 1),
          lost.get("kind") == "lost" and lhd.get("Mcb-Lost-Open") == "1" and
          lhd.get("Mcb-Bridge-Run") == old_run and
          lhd.get("Mcb-Lost-First") == str(last_ev["bridge_seq"] + 1) and
          "Mcb-Lost-Last" not in lhd, (lost, lhd))
    evs = new[1:]
    nums = [attr(e, 100) for e, _ in evs]
    bseqs = [e["bridge_seq"] for e, _ in evs]
    runs = {hd.get("Mcb-Bridge-Run") for _, hd in evs}
    check("then the new run from its start: every event once, in order "
          "(bridge_seq 1..%d), one run, not the old one" % K,
          nums == list(range(START, START + K)) and
          bseqs == list(range(1, K + 1)) and len(runs) == 1 and
          old_run not in runs and all(e["kind"] == "event" for e, _ in evs),
          "nums %s..., bseqs %s..., runs %s" % (nums[:5], bseqs[:5], runs))
    check("forwarder: the other run seen once, every event repaired from "
          "the history, none unrepairable, exits 0",
          rc == 0 and fin.get("resumed_other_run") == 1 and
          fin.get("repaired", 0) >= K and fin.get("unrepairable") == 0, fin)


def tls(fleet, net):
    """TLS options reach the C client: a server with a certificate the
    forwarder checks against its CA file; a CA file that cannot be used is
    a setting error."""
    w = fleet.work
    key, cert = os.path.join(w, "tls.key"), os.path.join(w, "tls.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=nats.test", "-addext",
                    "subjectAltName=DNS:nats.test"], check=True,
                   capture_output=True)
    conf = os.path.join(w, "tls.conf")
    with open(conf, "w") as f:
        f.write('listen: 0.0.0.0:14230\ntls { cert_file: "%s", '
                'key_file: "%s" }\n' % (cert, key))
    srv = Proc(w, "nats-tls", ["nats-server", "-c", conf])
    try:
        srv.wait_line(r"Server is ready", "err")
        sub = Proc(w, "sub-tls", [FWD, "sub", "-s", "tls://127.0.0.1:14230",
                                  "--tls-ca", cert, "--tls-hostname",
                                  "nats.test", "-S", "tlscore.>", "-c", "3",
                                  "-t", "30"])
        sub.wait_line(r"subscribed to", "err")
        f = Proc(w, "f-tls", [FWD, "--host", "h3", "-s",
                              "tls://198.18.3.1:14230", "--tls-ca", cert,
                              "--tls-hostname", "nats.test", "--prefix",
                              "tlscore"], ns=net.hosts["h3"])
        f.wait_line(r"connected to", "err")
        e = fleet.emit("h3", 3, 200001, 0)
        e.p.wait(30)
        rc = sub.p.wait(40)
        got = [attr(json.loads(x), 100) for x in sub.text("out").splitlines()]
        check("TLS (--tls-ca, tls://): 3 events through a TLS server",
              rc == 0 and got == [200001, 200002, 200003],
              sub.text("out") + sub.text())
        check("TLS forwarder exits 0 on SIGTERM", f.stop() == 0)
        bad = Proc(w, "f-badca", [FWD, "--host", "h3", "-s",
                                  "tls://198.18.3.1:14230", "--tls-ca",
                                  os.path.join(w, "no-such-ca.pem")],
                   ns=net.hosts["h3"])
        rc = bad.p.wait(30)
        check("--tls-ca with no such file: exit 2",
              rc == 2 and "--tls-ca" in bad.text(), bad.text())
    finally:
        srv.stop()


def crc16(data):
    """CRC-16/XMODEM, as NKeys append it."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc


# NKey prefix bytes: operator, account, user (a seed's comes first).
NKEY_PREFIX = {"O": 14 << 3, "A": 0, "U": 20 << 3}


def nkey(kind):
    """An NKey pair made here: (Ed25519 private key, public key "U..."
    (or "O...", "A..."), seed "SU..." ("SO...", "SA..."))."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import \
        Ed25519PrivateKey

    def enc(raw):
        raw += struct.pack("<H", crc16(raw))
        return base64.b32encode(raw).decode().rstrip("=")
    seed = os.urandom(32)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    p = NKEY_PREFIX[kind]
    return (key, enc(bytes([p]) + pub),
            enc(bytes([(18 << 3) | (p >> 5), (p & 31) << 3]) + seed))


def nkey_user():
    _, pub, seed = nkey("U")
    return pub, seed


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def nats_jwt(signer, iss, sub, name, nats):
    """A NATS JWT (v2 claims) signed by signer, the issuer iss's key."""
    claims = {"iat": int(time.time()), "iss": iss, "name": name, "sub": sub,
              "nats": nats}
    h = hashlib.sha512(json.dumps(claims, separators=(",", ":")).encode())
    claims["jti"] = base64.b32encode(h.digest()[:32]).decode().rstrip("=")
    head = b64url(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return head + "." + body + "." + b64url(
        signer.sign((head + "." + body).encode()))


def operator_setup(work, port):
    """An operator-mode server's configuration (operator, one account
    preloaded) and two .creds files: a user of that account, and one
    whose account the server does not know."""
    ok, op, _ = nkey("O")
    ak, ap, _ = nkey("A")
    xk, xp, _ = nkey("A")
    limits = {"subs": -1, "data": -1, "payload": -1, "imports": -1,
              "exports": -1, "wildcards": True, "conn": -1, "leaf": -1}
    conf = os.path.join(work, "operator.conf")
    with open(conf, "w") as f:
        f.write("listen: 0.0.0.0:%d\noperator: %s\nresolver: MEMORY\n"
                "resolver_preload: { %s: %s }\n" % (
                    port, nats_jwt(ok, op, op, "op", {"type": "operator",
                                                      "version": 2}),
                    ap, nats_jwt(ok, op, ap, "fleet", {
                        "type": "account", "version": 2,
                        "limits": limits})))
    creds = []
    for name, signer, issuer in (("good", ak, ap), ("stranger", xk, xp)):
        _, up, useed = nkey("U")
        ujwt = nats_jwt(signer, issuer, up, name, {
            "type": "user", "version": 2, "pub": {}, "sub": {},
            "subs": -1, "data": -1, "payload": -1})
        path = os.path.join(work, name + ".creds")
        with open(path, "w") as f:
            f.write("-----BEGIN NATS USER JWT-----\n%s\n"
                    "------END NATS USER JWT------\n\n"
                    "-----BEGIN USER NKEY SEED-----\n%s\n"
                    "------END USER NKEY SEED------\n" % (ujwt, useed))
        os.chmod(path, 0o600)
        creds.append(path)
    return conf, creds[0], creds[1]


def creds(fleet, net):
    """--creds: a user JWT and seed, against an operator-mode server."""
    w = fleet.work
    conf, good, stranger = operator_setup(w, 14232)
    srv = Proc(w, "nats-operator", ["nats-server", "-c", conf])
    try:
        srv.wait_line(r"Server is ready", "err")
        sub = Proc(w, "sub-creds", [FWD, "sub", "-s",
                                    "nats://127.0.0.1:14232", "--creds",
                                    good, "-S", "credscore.>", "-c", "3",
                                    "-t", "40"])
        sub.wait_line(r"subscribed to", "err")
        f = Proc(w, "f-creds", [FWD, "--host", "h3", "--prefix",
                                "credscore", "-s", "nats://198.18.3.1:14232",
                                "--creds", good], ns=net.hosts["h3"])
        f.wait_line(r"connected to", "err")
        e = fleet.emit("h3", 3, 300101, 0)
        e.p.wait(30)
        wait_until("f-creds received the 3 events",
                   lambda: f.stats().get("received") == 3)
        check("forwarder with a user's .creds exits 0 on SIGTERM",
              f.stop() == 0, f.text())
        rc = sub.p.wait(40)
        got = [attr(json.loads(x), 100) for x in sub.text("out").splitlines()]
        check("--creds (user JWT signed by the account the operator-mode "
              "server trusts): the 3 events through it",
              rc == 0 and got == [300101, 300102, 300103],
              sub.text("out") + sub.text())
        refused_by_server(
            w, net, "f-creds-stranger", "--creds of an account the server "
            "does not know", ["--prefix", "credscore", "-s",
                              "nats://198.18.3.1:14232", "--creds",
                              stranger])
    finally:
        srv.stop()


def refused_by_server(w, net, name, what, args):
    """A forwarder on h3 the server refuses: it says why, exits 1."""
    f = Proc(w, name, [FWD, "--host", "h3"] + args, ns=net.hosts["h3"])
    try:
        rc = f.p.wait(30)
    except subprocess.TimeoutExpired:
        rc = f.stop(signal.SIGKILL)
    check("%s: the server refuses, the forwarder says so and exits 1" %
          what, rc == 1 and
          re.search(r"NATS connection closed: .*[Aa]uthorization",
                    f.text()) is not None,
          "exit %s: %s" % (rc, f.text()[-500:]))


def auth(fleet, net):
    """Credentials reach the C client: a server that authenticates by
    NKey and by user and password takes events from a forwarder with the
    right ones, and closes on one with a wrong seed or password, which
    says why and exits 1."""
    w = fleet.work
    pub, seed = nkey_user()
    _, other = nkey_user()
    good, bad = os.path.join(w, "good.nk"), os.path.join(w, "bad.nk")
    for path, s in ((good, seed), (bad, other)):
        with open(path, "w") as f:
            f.write(s + "\n")
        os.chmod(path, 0o600)
    conf = os.path.join(w, "auth.conf")
    with open(conf, "w") as f:
        # timeout: the seconds a client has to authenticate (2 by
        # default).  A sanitizer build on a loaded machine once took
        # longer: the server cut it off and the forwarder, refused twice,
        # gave up ("closed, though a new connection works").
        f.write("listen: 0.0.0.0:14231\nauthorization { timeout: 10, "
                "users = [ { nkey: %s }, { user: fwd, password: s3cret } "
                "] }\n" % pub)
    srv = Proc(w, "nats-auth", ["nats-server", "-c", conf])
    url = "nats://198.18.3.1:14231"
    nk = ["--nkey", pub, "--nkey-seed"]
    try:
        srv.wait_line(r"Server is ready", "err")
        sub = Proc(w, "sub-auth", [FWD, "sub", "-s",
                                   "nats://127.0.0.1:14231"] + nk +
                   [good, "-S", "authcore.>", "-c", "6", "-t", "40"])
        sub.wait_line(r"subscribed to", "err")
        start = 300001
        for name, extra in (("nkey", ["-s", url] + nk + [good]),
                            ("user", ["-s", "nats://fwd:s3cret@198.18.3.1:"
                                      "14231"])):
            f = Proc(w, "f-auth-" + name, [FWD, "--host", "h3", "--prefix",
                                           "authcore"] + extra,
                     ns=net.hosts["h3"])
            f.wait_line(r"connected to", "err")
            e = fleet.emit("h3", 3, start, 0)
            e.p.wait(30)
            wait_until("%s received the 3 events" % f.name,
                       lambda: f.stats().get("received") == 3)
            check("forwarder with the right %s exits 0 on SIGTERM" % (
                "NKey seed" if name == "nkey" else "user and password"),
                f.stop() == 0, f.text())
            start += 3
        rc = sub.p.wait(40)
        got = [attr(json.loads(x), 100) for x in sub.text("out").splitlines()]
        check("NKey and user/password: the 6 events through an "
              "authenticating server (read with an NKey too)",
              rc == 0 and got == list(range(300001, 300007)),
              sub.text("out") + sub.text())
        for name, extra in (("NKey seed", ["-s", url] + nk + [bad]),
                            ("password", ["-s", "nats://fwd:wrong@"
                                          "198.18.3.1:14231"])):
            refused_by_server(w, net, "f-auth-bad-" + name.split()[-1],
                              "wrong " + name,
                              ["--prefix", "authcore"] + extra)
    except Exception as e:
        # What the server said is half of the story.
        raise RuntimeError("%s; the authenticating server's log: %s" % (
            e, srv.text()[-2000:])) from e
    finally:
        srv.stop()

if __name__ == "__main__":
    sys.exit(main())
