#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Real mcbridged traffic on lo, captured with tcpdump, for the dissector
suite (tests/dissector/suite-dissector.sh).  Run as root in a network
namespace of its own: `unshare -n` on the host, or the test VM.

  capture.py --source host   [--out DIR]    ethtool/monitor: real ethtool
                                            notifications and messages
                                            this script multicasts into the
                                            group (typed attributes of every
                                            kind, one too large to bridge)
  capture.py --source module --ko KO [--out DIR]
                                            mcbridge/events from the module:
                                            injected, heartbeat, netdev and
                                            module events

Three bridges: unsigned, signed (--key) and one with --max-datagram 256
(events truncated), each mapping to its own group, both formats, port
7788 and, for the heuristic, 47788.  Notices: the bridges are stopped
(SIGSTOP) while a flood overflows their netlink buffers: an overrun
notice, and for the module a lost notice with the kernel seq; on the host
a message over 64 KiB makes the lost notice.  One mcbridge-listen per
mapping (--key for the signed ones) records what it received.

Writes to DIR (default $MCB_VM_OUT): cap.pcap, key, one listener output
per mapping and manifest.json (the mappings, what each bridge sent, what
the capture must contain).  Prints "ok"/"FAIL" lines.  Synchronisation is
by readiness only: tcpdump's "listening on" line and one printed line per
packet written (--print), the bridges' ready and stats lines, the
listeners' "listening" lines and output; timeouts only bound the waits.
"""
import argparse
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
BIN = os.path.join(TOP, "build", "bin")
WAIT = float(os.environ.get("MCB_DISSECT_WAIT", "30"))  # bound of any wait

MARK_GROUP = "225.0.0.99"   # the capture's last packet (not a bridge's)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from check import check, results  # noqa: E402


class Proc:
    """A child whose stdout and stderr are read through pipes (kept)."""

    def __init__(self, name, argv):
        self.name = name
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = {"out": b"", "err": b""}
        self.open = {self.p.stdout: "out", self.p.stderr: "err"}
        for f in self.open:
            os.set_blocking(f.fileno(), False)

    def lines(self, stream="out"):
        return self.buf[stream].decode(errors="replace").splitlines()

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.p.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        while self.open:
            pump([self], WAIT)
        return self.p.returncode


def pump(procs, timeout):
    """Reads what the children wrote, waiting up to timeout for some."""
    fds = {f: (pr, s) for pr in procs for f, s in pr.open.items()}
    if not fds:
        return False
    r, _, _ = select.select(list(fds), [], [], timeout)
    for f in r:
        pr, s = fds[f]
        d = f.read()
        if d:
            pr.buf[s] += d
        elif d == b"":
            del pr.open[f]
            f.close()
    return True


def wait_until(procs, cond, what):
    """Pumps the children until cond() holds; False after WAIT seconds."""
    end = time.monotonic() + WAIT
    while not cond():
        left = end - time.monotonic()
        if left <= 0 or not pump(procs, left):
            print("capture: gave up waiting for %s" % what, file=sys.stderr)
            return cond()
    return True


# ---- generic netlink from userspace ----------------------------------------

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
NLM_F_REQUEST = 1
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000


def nla(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def nla_list(buf):
    out, pos = [], 0
    while pos + 4 <= len(buf):
        n, t = struct.unpack_from("=HH", buf, pos)
        if n < 4:
            break
        out.append((t & 0x3FFF, buf[pos + 4:pos + n]))
        pos += (n + 3) & ~3
    return out


def genl_msg(family_id, cmd, attrs, flags=0):
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), family_id, flags, 1, 0) + body


def resolve(family, group):
    """The family's id and the group's id, asked of nlctrl."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    s.send(genl_msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                    nla(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"), NLM_F_REQUEST))
    reply = s.recv(65536)
    s.close()
    attrs = dict(nla_list(reply[20:]))
    fid = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID])[0]
    for _, g in nla_list(attrs[CTRL_ATTR_MCAST_GROUPS]):
        ga = dict(nla_list(g))
        if ga[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode() == group:
            return fid, struct.unpack("=I", ga[CTRL_ATTR_MCAST_GRP_ID])[0]
    raise LookupError("no group %s/%s" % (family, group))


class GroupSender:
    """Multicasts messages into a genetlink group, as root may (only
    listeners of this network namespace get them; the kernel ignores the
    copy it receives, which is no request)."""

    def __init__(self, family, group):
        self.fid, gid = resolve(family, group)
        if gid > 32:
            raise ValueError("group id %d: not addressable by nl_groups" % gid)
        self.groups = 1 << (gid - 1)
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.s.bind((0, 0))

    def send(self, cmd, attrs):
        self.s.sendto(genl_msg(self.fid, cmd, attrs), (0, self.groups))


# Attributes of every kind of the JSON "attrs" rule (include/mcbridge/nla.h).
TYPED_ATTRS = b"".join([
    nla(1 | NLA_F_NESTED, nla(1, struct.pack("=I", 7)) + nla(2, b"mcb0\0")),
    nla(2, b"\x05"),                                   # u8
    nla(3, struct.pack("=H", 0x1234)),                 # u16
    nla(4, struct.pack("=Q", (1 << 63) + 5)),          # u64
    nla(5, b"\x01\x02\x03"),                           # hex
    nla(6 | NLA_F_NET_BYTEORDER, struct.pack(">I", 0x01020304)),  # u32, BE
    nla(7, nla(1, struct.pack("=I", 9))),              # nested, no flag
    nla(8, "grüße \"q\" \\".encode() + b"\0"),         # str, UTF-8
    nla(9, b""),                                       # hex, empty
])
ETHTOOL_MSG_FEATURES_NTF = 13


# ---- the run ------------------------------------------------------------------

def mappings(family):
    """(name, group, port, format, bridge) of every mapping."""
    m = []
    for name, group, port, fmt, bridge in [
            ("json", "225.0.0.1", 7788, "json", "plain"),
            ("binary", "225.0.0.2", 7788, "binary", "plain"),
            ("json-signed", "225.0.0.3", 7788, "json", "signed"),
            ("binary-signed", "225.0.0.4", 7788, "binary", "signed"),
            ("json-heur", "225.0.0.5", 47788, "json", "plain"),
            ("binary-heur", "225.0.0.6", 47788, "binary", "plain"),
            ("json-trunc", "225.0.0.7", 7788, "json", "trunc"),
            ("binary-trunc", "225.0.0.8", 7788, "binary", "trunc")]:
        m.append({"name": name, "group": group, "port": port, "format": fmt,
                  "bridge": bridge, "signed": bridge == "signed",
                  "truncating": bridge == "trunc", "family": family})
    return m


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", choices=("host", "module"), required=True)
    ap.add_argument("--ko", help="the module (--source module)")
    ap.add_argument("--out", default=os.environ.get("MCB_VM_OUT"))
    a = ap.parse_args()
    if not a.out:
        ap.error("--out DIR (or $MCB_VM_OUT)")
    os.makedirs(a.out, exist_ok=True)
    family, group = ("ethtool", "monitor") if a.source == "host" else ("mcbridge", "events")
    maps = mappings(family)
    procs = []
    try:
        return capture(a, family, group, maps, procs)
    finally:
        for pr in procs:
            if pr.p.poll() is None:
                pr.p.send_signal(signal.SIGCONT)
                pr.p.kill()
                pr.p.wait()


def capture(a, family, group, maps, procs):
    out = a.out
    run(["ip", "link", "set", "lo", "up"])
    key = os.path.join(out, "key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, os.urandom(32).hex().encode() + b"\n")
    os.close(fd)

    if a.source == "module":
        run(["insmod", a.ko, "heartbeat_ms=0"])
    else:
        run(["ip", "link", "add", "mcbv0", "type", "veth", "peer", "name", "mcbv1"])

    # -U: each packet written when captured; --print: a line per packet
    # written, the count the end waits for.
    pcap = os.path.join(out, "cap.pcap")
    td = Proc("tcpdump", ["tcpdump", "-i", "lo", "-n", "-B", "32768", "-U", "-Z", "root",
                          "-w", pcap,
                          "--print", "-l", "udp and dst net 225.0.0.0/24"])
    procs.append(td)
    if not check("tcpdump listening on lo",
                 wait_until([td], lambda: b"listening on" in td.buf["err"], "tcpdump"),
                 td.buf["err"].decode(errors="replace")):
        return 1

    listeners = {}
    for m in maps:
        argv = [os.path.join(BIN, "mcbridge-listen"), "--group", m["group"],
                "--port", str(m["port"]), "--rcvbuf", "8M"]
        if m["signed"]:
            argv += ["--key", key]
        listeners[m["name"]] = Proc("listen-" + m["name"], argv)
    procs.extend(listeners.values())
    check("every listener joined", wait_until(
        list(listeners.values()),
        lambda: all(b"listening on" in l.buf["err"] for l in listeners.values()),
        "listeners"))

    bridges = {}
    for b in ("plain", "signed", "trunc"):
        # A buffer that a stopped bridge overflows within a few thousand
        # messages; ample for the rest of the run.  No refill from the
        # module's history: the gap must stay, as a lost notice.
        # No tails: the checks reconcile the capture with what the bridge
        # counts as sent and its listeners print, and an idle bridge's
        # tails are neither.
        argv = [os.path.join(BIN, "mcbridged"), "--rcvbuf", "256K",
                "--tail-ms", "0", "--no-refill"]
        if b == "signed":
            argv += ["--key", key]
        if b == "trunc":
            argv += ["--max-datagram", "256"]
        for m in maps:
            if m["bridge"] == b:
                argv += ["--map", "%s/%s=%s:%d,format=%s" % (family, group, m["group"],
                                                             m["port"], m["format"])]
        bridges[b] = Proc("bridge-" + b, argv)
    procs.extend(bridges.values())
    ready = wait_until(list(bridges.values()), lambda: all(
        any(l.startswith("mcbridged: ready") for l in br.lines()) for br in bridges.values()),
        "bridges")
    lines = [l for br in bridges.values() for l in br.lines() if "ready" in l]
    check("bridges ready, every mapping subscribed",
          ready and sum(l.count(" subscribed") for l in lines) == len(maps), repr(lines))
    everyone = procs

    expect_types = ["injected", "heartbeat", "netdev"]

    def listener_events(name):
        return [json.loads(l) for l in listeners[name].lines()]

    if a.source == "host":
        sender = GroupSender(family, group)
        for i in range(2):
            run(["ethtool", "-K", "mcbv0", "tso", "off" if i % 2 == 0 else "on"])
        sender.send(ETHTOOL_MSG_FEATURES_NTF, TYPED_ATTRS)
        # Over the bridge's 64 KiB slot: dropped, announced as lost.
        sender.send(ETHTOOL_MSG_FEATURES_NTF, nla(1, b"\xa5" * 40000) + nla(2, b"\x5a" * 40000))
        # Cut to fit 256 bytes: the small attributes stay, the blob goes.
        sender.send(ETHTOOL_MSG_FEATURES_NTF, nla(1, struct.pack("=I", 1)) +
                    nla(2, b"\x01" * 300))
    else:
        ctl = os.path.join(BIN, "mcbridge-ctl")
        run([ctl, "emit", "--count", "2", "--text", "hello \"dissector\" \\ grüße"])
        # A heartbeat: on until one arrived.
        hb = "/sys/module/mcbridge/parameters/heartbeat_ms"
        with open(hb, "w") as f:
            f.write("100")
        check("a heartbeat arrives", wait_until(everyone, lambda: any(
            e.get("type") == "heartbeat" for e in listener_events("json")), "heartbeat"))
        with open(hb, "w") as f:
            f.write("0")
        # netdev events, and module events when dummy is a module.
        subprocess.run(["modprobe", "-r", "dummy"], check=False)
        subprocess.run(["modprobe", "dummy", "numdummies=0"], check=False)
        if os.path.exists("/sys/module/dummy/initstate"):
            expect_types.append("module")
        for cmd in (["ip", "link", "add", "mcbd0", "type", "dummy"],
                    ["ip", "link", "set", "mcbd0", "up"],
                    ["ip", "link", "set", "mcbd0", "down"],
                    ["ip", "link", "del", "mcbd0"]):
            run(cmd)
        subprocess.run(["modprobe", "-r", "dummy"], check=False)
        # Too long for 256 bytes in either format.
        run([ctl, "emit", "--text", "x" * 200])

    # Notices: the stopped bridges miss what overflows their buffers.
    for br in bridges.values():
        br.p.send_signal(signal.SIGSTOP)
        # The stop, as the parent sees it: then nothing of the flood is read.
        _, status = os.waitpid(br.p.pid, os.WUNTRACED)
        check("%s stopped" % br.name, os.WIFSTOPPED(status), "status %#x" % status)
    if a.source == "host":
        for i in range(5000):
            sender.send(ETHTOOL_MSG_FEATURES_NTF, nla(1, struct.pack("=I", i)))
    else:
        run([ctl, "emit", "--count", "5000", "--text", "flood"])
    for br in bridges.values():
        br.p.send_signal(signal.SIGCONT)

    def stats():
        """Each mapping's counters.  A bridge drains netlink before it
        reads a signal: what was queued at it is counted."""
        sent = {}
        for b, br in bridges.items():
            n = len(br.lines("err"))
            br.p.send_signal(signal.SIGUSR1)
            prefix = "mcbridged: stats "
            want = [m for m in maps if m["bridge"] == b]
            wait_until(everyone, lambda: sum(1 for l in br.lines("err")[n:]
                                             if l.startswith(prefix)) >= len(want),
                       "stats of bridge-" + b)
            for l in br.lines("err")[n:]:
                for m in want:
                    if l.startswith(prefix + "%s/%s -> %s:%d:" % (
                            family, group, m["group"], m["port"])):
                        sent[m["name"]] = dict(t.split("=", 1) for t in l.split() if "=" in t)
        return sent

    # Drained, so the last event finds room and shows the gap (lost).
    st = stats()
    check("overrun counted by every mapping", all(
        int(st.get(m["name"], {}).get("overruns", 0)) >= 1 for m in maps), repr(st))
    if a.source == "host":
        run(["ethtool", "-K", "mcbv0", "tso", "off"])
    else:
        run([ctl, "emit", "--text", "END"])

    # What each mapping sent in all: the last event is queued at the
    # bridges now.
    sent = stats()
    check("stats of every mapping", len(sent) == len(maps), repr(sent))
    total = sum(int(sent.get(m["name"], {}).get("sent", 0)) for m in maps)
    for m in maps:
        st = sent.get(m["name"], {})
        m["sent"] = int(st.get("sent", -1))
        m["stats"] = st
    got_all = wait_until(everyone, lambda: all(
        len(listeners[m["name"]].lines()) >= m["sent"] for m in maps), "listeners' output")
    check("every listener printed what its mapping sent", got_all and all(
        len(listeners[m["name"]].lines()) == m["sent"] for m in maps),
        repr({m["name"]: (m["sent"], len(listeners[m["name"]].lines())) for m in maps}))
    # Every datagram has reached its listener, so tcpdump has it queued; a
    # last packet, once tcpdump printed it, says all before it are written.
    mark = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mark.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    mark.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    mark.sendto(b"end of capture", (MARK_GROUP, 7788))
    mark.close()
    check("tcpdump wrote the capture (its last packet: the end mark)",
          wait_until(everyone, lambda: any("> %s.7788:" % MARK_GROUP in l
                                           for l in td.lines()), "tcpdump"),
          "\n".join(td.lines()[-3:]))
    td.stop(signal.SIGINT)
    for br in bridges.values():
        br.stop()
    for name, l in listeners.items():
        l.stop()
        with open(os.path.join(out, "listen-%s.out" % name), "wb") as f:
            f.write(l.buf["out"])
        with open(os.path.join(out, "listen-%s.err" % name), "wb") as f:
            f.write(l.buf["err"])
    for br in bridges.values():
        with open(os.path.join(out, "%s.err" % br.name), "wb") as f:
            f.write(br.buf["err"])
    if a.source == "module":
        run(["rmmod", "mcbridge"])

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"source": a.source, "family": family, "group": group,
                   "pcap": "cap.pcap", "key": "key", "mappings": maps,
                   "expect_types": expect_types}, f, indent=1)
    print("info: %s: %d datagrams captured: %s" % (a.source, total, ", ".join(
        "%s %d" % (m["name"], m["sent"]) for m in maps)))
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
