#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host security tests for mcbridged and mcbridge-listen, on the running kernel.

Run as root inside a private network namespace (suite-security.sh does
`unshare -n`).  Events come from a real genetlink family (ethtool/monitor,
feature changes on a veth).  Checks:
  - key files that group/others can access are refused (exit 2), both sides;
  - --user mistakes are refused (exit 2);
  - with --key, genuine datagrams (json and binary) are accepted, and
    datagrams from another local process (as nobody) - unsigned, signed
    with another key, bit-flipped, epoch swapped, replayed - are dropped and
    counted by mcbridge-listen --key;
  - signed JSON still parses as plain JSON;
  - started as root, the bridge runs with uid != 0, no capabilities and
    no_new_privs once ready, and still bridges.
Prints "ok   NAME" / "FAIL NAME: why" per check; exits non-zero on a failure.
Synchronisation is by readiness lines and datagrams; timeouts only bound waits.
"""
import hashlib
import hmac
import json
import os
import pwd
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BRIDGE = os.environ.get("MCBRIDGED", os.path.join(TOP, "build", "bin", "mcbridged"))
LISTEN = os.environ.get("MCB_LISTEN", os.path.join(TOP, "build", "bin", "mcbridge-listen"))
GROUP = "225.0.0.1"
WAIT = 10.0
N = 4  # genuine events per phase
MAGIC = 0x4D434252
F_AUTH = 0x0010
HDR_LEN = 96
TRAILER = 40

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from check import check, results, summary  # noqa: E402


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def toggle(dev, n):
    for i in range(n):
        run("ethtool", "-K", dev, "tso", "off" if i % 2 == 0 else "on")


class Proc:
    """A child with stdout/stderr collected without blocking."""

    def __init__(self, *cmd):
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = {self.p.stdout: b"", self.p.stderr: b""}
        for f in self.buf:
            os.set_blocking(f.fileno(), False)

    def _pump(self, timeout):
        fds = [f for f in self.buf if not f.closed]
        if not fds:
            return False
        r, _, _ = select.select(fds, [], [], timeout)
        for f in r:
            d = f.read()
            if d == b"":
                f.close()
            elif d:
                self.buf[f] += d
        return True

    @property
    def out(self):
        return self.buf[self.p.stdout].decode(errors="replace")

    @property
    def err(self):
        return self.buf[self.p.stderr].decode(errors="replace")

    def wait_for(self, stream, text, timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            s = self.out if stream == "out" else self.err
            if text in s:
                return True
            left = end - time.monotonic()
            if left <= 0 or not self._pump(left):
                return False

    def finish(self, sig=None, timeout=WAIT):
        if sig is not None and self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        while self._pump(timeout):
            pass
        return rc


class Raw:
    """A plain member of GROUP on 127.0.0.1 (SO_REUSEADDR, like the listener)."""

    def __init__(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((GROUP, 0))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1"))
        self.sock, self.port = s, s.getsockname()[1]

    def recv_n(self, n):
        """n datagrams, tails (an idle bridge's, not events) left out."""
        out = []
        while len(out) < n:
            r, _, _ = select.select([self.sock], [], [], WAIT)
            if not r:
                break
            d = self.sock.recv(70000)
            if not (d.startswith(b'{"kind":"tail"') or
                    (d[:4] == b"MCBR" and len(d) > 5 and d[5] == 4)):
                out.append(d)
        return out


def write_key(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    os.fchmod(fd, mode)
    os.close(fd)


def summary_of(err, prefix):
    """key=value pairs of the listener's summary line starting with prefix."""
    for line in err.splitlines():
        if line.startswith("mcbridge-listen: " + prefix):
            return dict(t.split("=", 1) for t in line.split() if "=" in t)
    return {}


def test_key_files(work, key):
    loose = os.path.join(work, "loose.key")
    write_key(loose, key, 0o644)
    for cmd in ([BRIDGE, "--map", "ethtool/monitor", "--key", loose],
                [LISTEN, "--key", loose, "--timeout", "1"]):
        p = subprocess.run(cmd, capture_output=True, timeout=WAIT)
        check("%s: key file mode 0644 refused, exit 2"
              % os.path.basename(cmd[0]),
              p.returncode == 2 and b"chmod 600" in p.stderr,
              "rc=%d %r" % (p.returncode, p.stderr[-300:]))
    short = os.path.join(work, "short.key")
    write_key(short, b"0011223344", 0o600)
    p = subprocess.run([BRIDGE, "--map", "ethtool/monitor", "--key", short],
                       capture_output=True, timeout=WAIT)
    check("mcbridged: key shorter than 16 bytes refused, exit 2",
          p.returncode == 2 and b"at least 16" in p.stderr,
          "rc=%d %r" % (p.returncode, p.stderr[-300:]))
    for user, msg in (("no-such-user-mcb", b"no such user"),
                      ("root", b"would keep root")):
        p = subprocess.run([BRIDGE, "--map", "ethtool/monitor", "--user",
                            user], capture_output=True, timeout=WAIT)
        check("mcbridged --user %s refused, exit 2" % user,
              p.returncode == 2 and msg in p.stderr,
              "rc=%d %r" % (p.returncode, p.stderr[-300:]))


def proc_status(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.split()
    return st


# Runs as nobody: sends each hex-encoded datagram to GROUP:port via lo.
FORGER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
for a in sys.argv[2:]:
    s.sendto(bytes.fromhex(a), ("225.0.0.1", int(sys.argv[1])))
"""


def forge_as_nobody(port, datagrams):
    nobody = pwd.getpwnam("nobody")
    p = subprocess.run(["setpriv", "--reuid=%d" % nobody.pw_uid,
                        "--regid=%d" % nobody.pw_gid, "--clear-groups",
                        sys.executable, "-c", FORGER, str(port)] +
                       [d.hex() for d in datagrams],
                       capture_output=True, timeout=WAIT, cwd="/")
    return p.returncode == 0, p.stderr.decode(errors="replace")


def json_forgeries(genuine, wrong_key):
    d = genuine[0]
    # wrong key: same bytes, MAC recomputed under another key
    body = d[:d.rindex(b',"hmac":"')]
    wk = body + b',"hmac":"' + hmac.new(wrong_key, body, hashlib.sha256) \
        .hexdigest().encode() + b'"}\n'
    # bit flip in bridge_time_ns (a digit stays a digit: still valid JSON)
    i = d.index(b'"bridge_time_ns":') + len(b'"bridge_time_ns":')
    flipped = d[:i] + bytes([d[i] ^ 0x01]) + d[i + 1:]
    # another epoch with the old MAC: a fake "bridge restart"
    j = d.index(b'"epoch":"') + len(b'"epoch":"')
    epoch = d[:j] + (b"1" if d[j:j + 1] != b"1" else b"2") + d[j + 1:]
    plain = json.dumps({"kind": "event", "family": "ethtool",
                        "group": "monitor", "cmd": "13", "cmd_id": 13,
                        "bridge_seq": 999, "bridge_time_ns": 1},
                       separators=(",", ":")).encode() + b"\n"
    return {"unsigned": [plain], "bad_mac": [wk, flipped, epoch],
            "replayed": [genuine[0], genuine[-1]]}


def binary_forgeries(genuine, wrong_key):
    d = genuine[0]
    flags = struct.unpack_from(">H", d, 8)[0]
    plain = bytearray(d[:-TRAILER])
    struct.pack_into(">H", plain, 8, flags & ~F_AUTH)
    body = d[:-32]
    wk = body + hmac.new(wrong_key, body, hashlib.sha256).digest()
    flipped = bytearray(d)
    flipped[HDR_LEN + 5] ^= 0x10  # inside the attributes
    epoch = bytearray(d)
    epoch[-TRAILER] ^= 0x80
    return {"unsigned": [bytes(plain)], "bad_mac": [wk, bytes(flipped),
                                                  bytes(epoch)],
            "replayed": [genuine[0], genuine[-1]]}


def test_authenticated(work, keyfile, key):
    rj, rb = Raw(), Raw()
    b = Proc(BRIDGE, "--map", "ethtool/monitor=:%d" % rj.port,
             "--map", "ethtool/monitor=:%d,format=binary" % rb.port,
             "--key", keyfile)
    ready = b.wait_for("out", "mcbridged: ready")
    check("bridge with --key ready, every mapping signed",
          ready and b.out.count("subscribed signed") == 2, b.out + b.err)
    if not ready:
        b.finish(signal.SIGTERM)
        return

    # Least privilege, once ready.
    st = proc_status(b.p.pid)
    uids = [int(x) for x in st.get("Uid", ["0"])]
    check("bridge started as root runs as uid %s (real/effective/saved/fs "
          "all non-zero)" % uids[0], all(u != 0 for u in uids), repr(uids))
    check("bridge: CapEff, CapPrm, CapInh, CapAmb empty",
          all(int(st.get(k, ["1"])[0], 16) == 0
              for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")),
          repr({k: st.get(k) for k in ("CapEff", "CapPrm", "CapInh",
                                       "CapAmb")}))
    check("bridge: NoNewPrivs 1, no supplementary groups",
          st.get("NoNewPrivs") == ["1"] and st.get("Groups", []) == [],
          repr((st.get("NoNewPrivs"), st.get("Groups"))))
    gid = int(st["Gid"][0])
    check("bridge: gid non-zero", gid != 0, repr(st.get("Gid")))

    listeners = {}
    for name, port in (("json", rj.port), ("binary", rb.port)):
        lp = Proc(LISTEN, "--key", keyfile, "-p", str(port), "--count",
                  str(2 * N), "--timeout", "30", "--ready-fd", "2")
        if not lp.wait_for("err", "ready\n"):
            check("listener %s ready" % name, False, lp.err)
            b.finish(signal.SIGTERM)
            return
        listeners[name] = lp

    toggle("mcbv0", N)
    gj, gb = rj.recv_n(N), rb.recv_n(N)
    check("genuine: %d json and %d binary datagrams bridged after the "
          "privilege drop" % (len(gj), len(gb)), len(gj) == N and len(gb) == N)
    if len(gj) != N or len(gb) != N:
        b.finish(signal.SIGTERM)
        return
    try:
        objs = [json.loads(d) for d in gj]
        ok = all(isinstance(o.get("hmac"), str) and len(o["hmac"]) == 64 and
                 isinstance(o.get("epoch"), str) and len(o["epoch"]) == 16
                 and o["family"] == "ethtool" for o in objs)
        ok = ok and [o["bridge_seq"] for o in objs] == list(range(1, N + 1))
    except ValueError as e:
        ok, objs = False, repr(e)
    check("signed JSON parses as plain JSON: epoch and hmac keys last",
          ok and all(d.endswith(b'"}\n') and b',"hmac":"' in d[-80:]
                     for d in gj), repr(gj[:1]))
    epochs = {o["epoch"] for o in objs} if ok else set()
    ebin = {d[-TRAILER:-32].hex() for d in gb}
    check("one epoch per mapping, different between mappings",
          len(epochs) == 1 and len(ebin) == 1 and epochs != ebin,
          repr((epochs, ebin)))
    check("binary: MCB_WIRE_F_AUTH set, trailer after attr_len",
          all(struct.unpack_from(">H", d, 8)[0] & F_AUTH and
              len(d) == HDR_LEN + struct.unpack_from(">I", d, 12)[0] + TRAILER
              for d in gb))
    # Our own check of the MAC, independent of the C code.
    ok = all(hmac.compare_digest(
        hmac.new(key, d[:d.rindex(b',"hmac":"')], hashlib.sha256)
        .hexdigest().encode(), d[d.rindex(b',"hmac":"') + 9:-3]) for d in gj)
    ok = ok and all(hmac.compare_digest(
        hmac.new(key, d[:-32], hashlib.sha256).digest(), d[-32:]) for d in gb)
    check("MACs verify with Python's hmac (HMAC-SHA256 per wire.h)", ok)

    wrong = os.urandom(32)
    forged = {"json": json_forgeries(gj, wrong),
              "binary": binary_forgeries(gb, wrong)}
    for name, port in (("json", rj.port), ("binary", rb.port)):
        sent, why = forge_as_nobody(port, [d for ds in forged[name].values()
                                           for d in ds])
        check("%s: forgeries sent by another local process (nobody)" % name,
              sent, why)
    # Genuine events after the forgeries: the listeners exit at 2N printed,
    # and loopback keeps order, so every forgery has been judged by then.
    toggle("mcbv0", N)
    for name, lp in listeners.items():
        rc = lp.finish(timeout=30)
        summ = summary_of(lp.err, "summary:")
        auth = summary_of(lp.err, "auth:")
        want = {k: len(v) for k, v in forged[name].items()}
        got = {k: int(auth.get(k, -1)) for k in want}
        check("%s: %d genuine events accepted and printed, exit 0"
              % (name, 2 * N), rc == 0 and summ.get("printed") == str(2 * N)
              and summ.get("events") == str(2 * N),
              "rc=%d %s" % (rc, lp.err[-600:]))
        seqs = []
        for line in lp.out.splitlines():
            try:
                seqs.append(json.loads(line)["bridge_seq"])
            except (ValueError, KeyError):
                seqs.append(None)
        check("%s: printed bridge_seq 1..%d, nothing forged printed"
              % (name, 2 * N), seqs == list(range(1, 2 * N + 1)), repr(seqs))
        check("%s: rejected and counted: unsigned=%d bad_mac=%d "
              "(wrong key, bit flip, swapped epoch) replayed=%d"
              % (name, want["unsigned"], want["bad_mac"], want["replayed"]),
              got == want and auth.get("epochs") == "1",
              "got %r, stderr %s" % (got, lp.err[-800:]))
    rc = b.finish(signal.SIGTERM)
    check("bridge exits 0 on SIGTERM after dropping root", rc == 0,
          "rc=%d %s" % (rc, b.err[-400:]))


def main():
    if os.geteuid() != 0:
        print("SKIP host security tests: need root")
        return 0
    for f in (BRIDGE, LISTEN):
        if not os.access(f, os.X_OK):
            check("%s built" % f, False)
            return 1
    run("ip", "link", "set", "lo", "up")
    run("ip", "link", "add", "mcbv0", "type", "veth", "peer", "name", "mcbv1")
    work = tempfile.mkdtemp(prefix="mcb-sec-")
    try:
        key = os.urandom(32)
        keyfile = os.path.join(work, "bridge.key")
        write_key(keyfile, key.hex().encode() + b"\n", 0o600)
        test_key_files(work, key)
        test_authenticated(work, keyfile, key)
    finally:
        shutil.rmtree(work)
    return summary("host-security")


if __name__ == "__main__":
    sys.exit(main())
