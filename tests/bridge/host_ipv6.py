#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""IPv6 host tests for mcbridged and mcbridge-listen, on the running kernel.

Run as root inside a private network namespace (suite-bridge.sh does
`unshare -n`); a second namespace, made here, holds the far end of a veth
pair.  Events come from a real genetlink family (ethtool/monitor, feature
changes of the veth).  Checks: the missing-route hint; JSON and binary over
IPv6 to Python's socket module, mcbridge-listen and socat UDP6-RECV, next to
an IPv4 mapping of the same bridge; hop limit 0 keeps link-local (ff02::)
datagrams off the veth, hop limit 1 does not.  One line per check.
"""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import time

import host_tests as h
from host_tests import Bridge, Listener, check, run, toggle, WAIT

TOP = h.TOP
LISTEN = os.environ.get("MCB_LISTEN",
                        os.path.join(os.path.dirname(h.BRIDGE), "mcbridge-listen"))
G_IF = "ff01::4d43:1"     # interface-local, on lo
G_LINK = "ff02::4d43:1"   # link-local, on the veth
ROUTE = ["ip", "-6", "route", "add", "local", "ff01::/16", "dev", "lo",
         "table", "local"]
MAGIC = b"MCBR"


class Listener6:
    """A member of an IPv6 group on one interface, on its own port."""

    def __init__(self, group, ifname="lo", port=0):
        idx = socket.if_nametoindex(ifname)
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((group, port, 0, idx))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                     socket.inet_pton(socket.AF_INET6, group)
                     + struct.pack("@I", idx))
        self.sock = s
        self.port = s.getsockname()[1]

    def recv_all(self, timeout):
        """Datagrams until none but tails came for timeout seconds (an
        idle bridge sends one every --tail-ms: not events)."""
        out = []
        end = time.monotonic() + timeout
        while select.select([self.sock], [], [],
                            max(0, end - time.monotonic()))[0]:
            d = self.sock.recv(70000)
            if not h.is_tail(d):
                out.append(d)
                end = time.monotonic() + timeout
        return out


def test_no_route():
    p = subprocess.run([h.BRIDGE, "--map", "ethtool/monitor=[%s]:7790" % G_IF],
                       capture_output=True, timeout=WAIT)
    check("ipv6 without a route: exit 1 with the command to run",
          p.returncode == 1 and " ".join(ROUTE).encode() in p.stderr,
          "rc=%d stderr=%r" % (p.returncode, p.stderr[-300:]))


def test_bad_options():
    cases = [
        (["--map", "e/g=[ff01::1"], "expected [IPV6-ADDRESS][:PORT]"),
        (["--map", "e/g=[ff01::1]x"], "expected [IPV6-ADDRESS][:PORT]"),
        (["--map", "e/g=[ff01::1]:x"], "bad port"),
        (["--map", "e/g=[2001:db8::1]:5"], "not an IPv6 multicast address"),
        (["--map", "e/g=[ff01::1],iface=nosuchif0"], "no interface 'nosuchif0'"),
        (["--group", "fe80::1"], "not an IPv6 multicast address"),
        (["--iface6", "nosuchif0"], "no interface"),
    ]
    for args, msg in cases:
        p = subprocess.run([h.BRIDGE, *args], capture_output=True, timeout=WAIT)
        check("ipv6 bad options %s -> exit 2" % " ".join(args),
              p.returncode == 2 and msg.encode() in p.stderr,
              "rc=%d stderr=%r" % (p.returncode, p.stderr[-300:]))
    p = subprocess.run([LISTEN, "--group", G_IF, "--interface", "nosuchif0"],
                       capture_output=True, timeout=WAIT)
    check("listen: ipv6 group on a missing interface -> exit 2",
          p.returncode == 2 and b"nosuchif0" in p.stderr, repr(p.stderr))


def same(d):
    """An event without what differs between two mappings: the send time
    and the mapping's run id."""
    e = json.loads(d)
    e.pop("bridge_time_ns", None)
    e.pop("bridge_run", None)
    return e


def start_listen(port, n, *extra):
    """mcbridge-listen for n events; returns once it has joined."""
    r, w = os.pipe()
    p = subprocess.Popen([LISTEN, "--group", G_IF, "--port", str(port),
                          "--count", str(n), "--timeout", str(WAIT),
                          "--ready-fd", str(w), *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=(w,))
    os.close(w)
    ok = select.select([r], [], [], WAIT)[0] and os.read(r, 16) == b"ready\n"
    os.close(r)
    return p, ok


def test_mixed():
    run(*ROUTE)
    lj, lb, l4 = Listener6(G_IF), Listener6(G_IF), Listener()
    socat = None
    if shutil.which("socat"):
        socat = subprocess.Popen(
            ["socat", "-u", "UDP6-RECV:%d,reuseaddr,ipv6-join-group=[%s]:lo"
             % (lj.port, G_IF), "STDOUT"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n = 4
    pj, okj = start_listen(lj.port, n)
    pb, okb = start_listen(lb.port, n, "--format", "binary")
    check("mcbridge-listen joins an IPv6 group (json and binary ports)",
          okj and okb)
    b = Bridge("--map", "ethtool/monitor=[%s]:%d" % (G_IF, lj.port),
               "--map", "ethtool/monitor=[%s]:%d,format=binary" % (G_IF, lb.port),
               "--map", "ethtool/monitor=:%d" % l4.port)
    line = b.ready() or ""
    check("ready line: IPv6 and IPv4 mappings",
          "-> [%s]:%d json subscribed" % (G_IF, lj.port) in line
          and "-> [%s]:%d binary subscribed" % (G_IF, lb.port) in line
          and "-> 225.0.0.1:%d json subscribed" % l4.port in line, repr(line))
    if socat:
        # socat says nothing when it has joined: its membership in
        # /proc/net/igmp6 does.
        check("socat joined %s on lo" % G_IF, joined6("lo", G_IF))
    toggle("mcbv0", n)
    js = lj.recv_all(2.0)
    bs = lb.recv_all(0.5)
    v4 = []
    while len(v4) < n:
        d = l4.recv(2.0)
        if d is None:
            break
        v4.append(d)
    check("python: %d JSON datagrams over IPv6" % n, len(js) == n and all(
        d.startswith(b'{"kind":"event","family":"ethtool"') for d in js),
        "%d: %r" % (len(js), js[:1]))
    check("python: %d binary datagrams over IPv6" % n,
          len(bs) == n and all(d[:4] == MAGIC for d in bs),
          "%d: %r" % (len(bs), bs[:1]))
    check("the IPv4 mapping of the same bridge: %d datagrams" % n,
          len(v4) == n, "%d" % len(v4))
    check("IPv4 and IPv6 copies are the same events",
          len(js) == n and [same(d) for d in js] == [same(d) for d in v4],
          "%r vs %r" % (js[:1], v4[:1]))
    for label, p in (("json", pj), ("binary", pb)):
        out, err = p.communicate(timeout=WAIT)
        lines = out.decode().splitlines()
        check("mcbridge-listen (%s over IPv6): %d events, no gaps" % (label, n),
              p.returncode == 0 and len(lines) == n
              and all('"family":"ethtool"' in l for l in lines)
              and b"gaps=0" in err and b"bad=0" in err,
              "rc=%s out=%r err=%r" % (p.returncode, out[:200], err[-300:]))
    if socat:
        socat.terminate()
        out, _ = socat.communicate(timeout=WAIT)
        check("socat UDP6-RECV: %d JSON lines" % n,
              out.count(b'{"kind":"event","family":"ethtool"') == n,
              repr(out[:200]))
    else:
        print("skip socat UDP6-RECV: no socat (scripts/deps.sh installs it)")
    check("ipv6: exit 0 on SIGTERM, no send errors",
          b.stop() == 0 and b"send_errors=0" in b.err
          and b"send_errors=1" not in b.err, repr(b.err[-400:]))


def joined6(ifname, group, timeout=10.0):
    """Until ifname is a member of group (/proc/net/igmp6)."""
    want = socket.inet_pton(socket.AF_INET6, group).hex()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open("/proc/net/igmp6") as f:
            if any(l.split()[1:3] == [ifname, want] for l in f):
                return True
        time.sleep(0.05)
    return False


def far_namespace():
    """A second namespace holding mcbv1, with a receiver joined there to
    G_LINK; returns (process, port) once it has joined."""
    code = r"""
import select, socket, struct, sys
idx = socket.if_nametoindex("mcbv1")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("%s", 0, 0, idx))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
             socket.inet_pton(socket.AF_INET6, "%s") + struct.pack("@I", idx))
print(s.getsockname()[1], flush=True)
n = 0
sys.stdin.readline()  # the other side is done sending
while select.select([s], [], [], 0.5)[0]:
    if not s.recv(70000).startswith(b'{"kind":"tail"'):
        n += 1
print(n, flush=True)
""" % (G_LINK, G_LINK)
    # The child's namespace exists once it runs; move the veth end into it.
    p = subprocess.Popen(
        ["unshare", "-n", "sh", "-c",
         "sysctl -qw net.ipv6.conf.default.accept_dad=0; echo ns; "
         "read go; ip link set lo up; ip link set mcbv1 up; "
         "exec python3 -c '%s'" % code.replace("'", "'\\''")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Its namespace exists once it says so (sh runs in it).
    if p.stdout.readline().strip() == "ns":
        run("ip", "link", "set", "mcbv1", "netns", str(p.pid))
    p.stdin.write("go\n")
    p.stdin.flush()
    port = int(p.stdout.readline() or 0)
    return p, port


def test_containment():
    """Hop limit 0: looped back to members here, nothing onto the veth."""
    got = {}
    run("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
    for hops in (0, 1):
        # A fresh pair each time: the far namespace takes it with it.
        subprocess.run(["ip", "link", "del", "mcbv0"], stderr=subprocess.DEVNULL)
        run("ip", "link", "add", "mcbv0", "type", "veth", "peer", "name", "mcbv1")
        far, port = far_namespace()
        run("ip", "link", "set", "mcbv0", "up")
        # Both ends up, and the kernel's multicast route on the link is
        # there (addrconf adds it once the link carries).
        for _ in range(100):
            if b"ff00::/8" in subprocess.run(
                    ["ip", "-6", "route", "show", "table", "local", "dev",
                     "mcbv0"], capture_output=True).stdout:
                break
            time.sleep(0.1)
        near = Listener6(G_LINK, "mcbv0", port)
        b = Bridge("--map", "ethtool/monitor=[%s]:%d,iface=mcbv0,ttl=%d"
                   % (G_LINK, port, hops))
        b.ready()
        toggle("mcbv0", 4)
        mine = near.recv_all(1.0)
        far.stdin.write("done\n")
        far.stdin.flush()
        theirs = int(far.stdout.readline() or -1)
        far.wait(WAIT)
        b.stop()
        near.sock.close()
        got[hops] = (len(mine), theirs, b.err.decode()[-300:])
    check("hop limit 0: members here get every event, none cross the veth",
          got[0][0] == 4 and got[0][1] == 0, repr(got[0]))
    check("hop limit 1 (so the check can fail): they cross the veth",
          got[1][0] == 4 and got[1][1] == 4, repr(got[1]))


def main():
    if os.geteuid() != 0:
        print("SKIP ipv6 host tests: need root")
        return 0
    if not socket.has_ipv6 or not os.path.exists("/proc/net/if_inet6"):
        print("SKIP ipv6 host tests: no IPv6")
        return 0
    h.setup()
    test_bad_options()
    test_no_route()
    test_mixed()
    test_containment()
    return h.summary("ipv6")


if __name__ == "__main__":
    sys.exit(main())
