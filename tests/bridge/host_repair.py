#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host tests of the bridge's history, tails and repair channel, on the
running kernel, with the native event source (tests/nats/mcb-genl-emit:
numbered ethtool/monitor messages multicast from userspace).

Run as root inside a private network namespace (suite-bridge.sh does
`unshare -n`): nobody else sees the messages, and 127.0.0.1:7787 (the
default repair address) is ours.  Prints "ok   NAME" / "FAIL NAME: why"
per check and exits non-zero if any failed.

Synchronisation is by readiness signals: the bridge's ready line, the
listeners' --ready-fd, their output lines as they come, the emitter's exit
once the bridge has sent everything (it watches the group); an answer to
an honest request after the dishonest ones shows those were handled.
Timeouts only bound the waits.  The requests are built here from the
format in include/mcbridge/wire.h, independently of the C encoder.
"""
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import host_tests as h

TOP = h.TOP
LISTEN = os.environ.get("MCB_LISTEN", os.path.join(TOP, "build", "bin",
                                                   "mcbridge-listen"))
EMIT = os.environ.get("MCB_EMIT", os.path.join(TOP, "build", "tests", "nats",
                                               "mcb-genl-emit"))
GROUP = "225.0.0.1"
REPAIR = ("127.0.0.1", 7787)
MAGIC = 0x4D434250
RANGE, SINCE, LAST, DATA, END = 1, 2, 3, 4, 5
ST_OK, ST_RUN = 0, 1
check = h.check


def emit(port, count, start=1, window=2000, rate=0, wait=True):
    cmd = [EMIT, "--count", str(count), "--start", str(start)]
    if window:
        cmd += ["--window", str(window), "--watch-port", str(port)]
    if rate:
        cmd += ["--rate", str(rate)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not wait:
        return p
    out, err = p.communicate(timeout=300)
    return p.returncode == 0, (out + err).decode().strip()


class Listen:
    """mcbridge-listen, its output read as it comes (a thread per pipe)."""

    def __init__(self, *args):
        r, w = os.pipe()
        self.p = subprocess.Popen([LISTEN, *map(str, args), "--ready-fd",
                                   str(w)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, pass_fds=(w,))
        os.close(w)
        self.lines, self.err = [], b""
        self.cv = threading.Condition()
        self.threads = [threading.Thread(target=self._read, args=(f,),
                                         daemon=True)
                        for f in (self.p.stdout, self.p.stderr)]
        for t in self.threads:
            t.start()
        ok = select.select([r], [], [], h.WAIT)[0]
        self.ready = ok and os.read(r, 16) == b"ready\n"
        os.close(r)

    def _read(self, f):
        for line in f:
            with self.cv:
                if f is self.p.stdout:
                    self.lines.append(line)
                else:
                    self.err += line
                self.cv.notify_all()

    def wait_lines(self, n, timeout=60):
        with self.cv:
            return self.cv.wait_for(lambda: len(self.lines) >= n, timeout)

    def wait_err(self, text, timeout=30):
        with self.cv:
            return self.cv.wait_for(lambda: text.encode() in self.err,
                                    timeout)

    def wait_accounted(self, n, timeout=30):
        """SIGUSR1 until a summary says printed + missing == n."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            before = self.err.count(b"summary:")
            self.p.send_signal(signal.SIGUSR1)
            with self.cv:
                self.cv.wait_for(lambda: self.err.count(b"summary:") > before,
                                 end - time.monotonic())
            p, m = self.field("printed"), self.field("missing")
            if p is not None and m is not None and int(p) + int(m) == n:
                return True
            # A tail comes every --tail-ms (200): ask again after the next.
            time.sleep(0.2)
        return False

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(h.WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        for t in self.threads:
            t.join(h.WAIT)
        return rc

    def field(self, key, line="summary:"):
        # The last: SIGUSR1 prints summaries before the final one.
        for l in reversed(self.err.decode().splitlines()):
            if line in l:
                v = h.stats_of(l).get(key)
                if v is not None:
                    return v
        return None

    def events(self):
        return [json.loads(l) for l in self.lines]


def index_of(e):
    """The emitter's number of the event: its attribute 100 (u64)."""
    for a in e.get("attrs", []):
        if a["type"] == 100:
            return a.get("u64")
    return None


class Raw:
    """A plain member of the group: every datagram, tails included."""

    def __init__(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        s.bind((GROUP, port))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1"))
        self.sock = s

    def next(self, kind=None, timeout=h.WAIT):
        end = time.monotonic() + timeout
        while select.select([self.sock], [], [],
                            max(0, end - time.monotonic()))[0]:
            e = json.loads(self.sock.recv(70000))
            if kind is None or e["kind"] == kind:
                return e
        return None

    def drain(self):
        """Forget what is queued (a stopped bridge's last datagrams)."""
        while select.select([self.sock], [], [], 0)[0]:
            self.sock.recv(70000)

    def close(self):
        self.sock.close()


class Requester:
    """A requester of our own: requests built from wire.h, answers parsed
    the same way."""

    def __init__(self, port, key=None, rcvbuf=8 << 20):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE
        s.bind(("127.0.0.1", 0))
        self.sock, self.port, self.key = s, port, key
        self.session = int.from_bytes(os.urandom(8), "big")
        self.seq = 0

    def build(self, typ, run, first=0, last=0, count=0, epoch=0, key=None,
              sign=True):
        self.seq += 1
        key = key if key is not None else self.key
        flags = 1 if key and sign else 0
        m = struct.pack(">IBBBBIIQQ", MAGIC, 1, typ, 0, flags, run, 0,
                        self.session, self.seq)
        m += struct.pack(">QQQQ16sHB5s16s16s", first, last, count, epoch,
                         socket.inet_aton(GROUP) + b"\0" * 12, self.port, 4,
                         b"\0" * 5, b"", b"")
        if flags:
            m += hmac.new(key, m, hashlib.sha256).digest()
        return m

    def send(self, m):
        self.sock.sendto(m, REPAIR)

    def recv(self, timeout=h.WAIT):
        if not select.select([self.sock], [], [], timeout)[0]:
            return None
        d = self.sock.recv(70000)
        a = dict(zip(("magic", "version", "type", "status", "flags", "run",
                      "reserved", "session", "req_seq"),
                     struct.unpack_from(">IBBBBIIQQ", d)))
        a["raw"] = d
        if a["type"] == DATA:
            a["first"], a["last"], n, _ = struct.unpack_from(">QQII", d, 32)
            recs, pos = [], 56
            for _ in range(n):
                (ln,) = struct.unpack_from(">I", d, pos)
                recs.append(d[pos + 4:pos + 4 + ln])
                pos += 4 + ((ln + 3) & ~3)
            a["records"] = recs
            a["whole"] = pos == len(d)
        elif a["type"] == END:
            (a["first"], a["last"], a["lost_first"], a["lost_last"],
             a["held_first"], a["held_last"]) = struct.unpack_from(">6Q", d,
                                                                   32)
            if self.key:
                a["mac_ok"] = hmac.compare_digest(
                    d[80:], hmac.new(self.key, d[:80],
                                     hashlib.sha256).digest())
        return a

    def answer(self, seq=None):
        """DATA records until the END (of request seq, default the last):
        (records, END)."""
        seq = seq or self.seq
        recs = []
        while True:
            a = self.recv()
            if a is None:
                return recs, None
            if a["req_seq"] != seq:
                continue
            if a["type"] == END:
                return recs, a
            recs += [json.loads(r) for r in a["records"]]

    def close(self):
        self.sock.close()


def bridge_stats(b, what):
    """SIGUSR1, then the key=value pairs of the line naming what."""
    before = b.count("stats " + what)
    b.p.send_signal(signal.SIGUSR1)
    end = time.monotonic() + h.WAIT
    while b.count("stats " + what) == before and time.monotonic() < end:
        b._pump(end - time.monotonic())
    lines = [l for l in b.err.decode().splitlines() if "stats " + what in l]
    return h.stats_of(lines[-1]) if lines else {}


def in_order(events, first, n):
    seqs = [e["bridge_seq"] for e in events]
    return len(events) == n and seqs == list(range(first, first + n))


def test_stopped_listener():
    """100,000 events; two listeners stopped during them: the one with
    --repair prints all, in order; the plain one reports its gap."""
    n, port = 100000, 7790
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port, "--history", "64M",
                 "--tail-ms", "200")
    line = b.ready() or ""
    check("bridge ready with its repair channel",
          "repair on 127.0.0.1:7787" in line, repr(line))
    rep = Listen("-p", port, "--repair", "--rcvbuf", "256K")
    plain = Listen("-p", port, "--rcvbuf", "256K")
    check("repair and plain listeners ready", rep.ready and plain.ready)
    ok, out = emit(port, 10000)
    check("first 10,000 events bridged (%s)" % out, ok)
    rep.wait_lines(10000)
    rep.signal(signal.SIGSTOP)
    plain.signal(signal.SIGSTOP)
    ok, out = emit(port, n - 10000, start=10001)
    check("90,000 more bridged while both listeners are stopped (%s)" % out,
          ok)
    rep.signal(signal.SIGCONT)
    plain.signal(signal.SIGCONT)
    got_all = rep.wait_lines(n, 180)
    # The plain one learns of the lost end from a tail: its summary so far
    # (SIGUSR1) then accounts for all n (its gap lines are rate-limited).
    plain_gap = plain.wait_accounted(n, 30)
    st = bridge_stats(b, "ethtool/monitor")
    rs = bridge_stats(b, "repair")
    rc_r, rc_p = rep.stop(), plain.stop()
    b.stop()
    ev = rep.events()
    idx = [index_of(e) for e in ev]
    repaired = sum(1 for e in ev if e.get("repaired"))
    check("--repair listener: all %d events, bridge_seq in order" % n,
          got_all and in_order(ev, 1, n), "%d lines" % len(ev))
    check("--repair listener: every event's own number in order",
          idx == list(range(1, n + 1)))
    check("--repair listener: 0 unrepairable, %s repaired (as marked: %d), "
          "no gap" % (rep.field("repaired", "repair:"), repaired),
          rc_r == 0 and rep.field("unrepairable", "repair:") == "0"
          and repaired > 0 and rep.field("repaired", "repair:") == str(repaired)
          and rep.field("gaps") == "0" and rep.field("missing") == "0",
          rep.err.decode()[-600:])
    printed, missing = plain.field("printed"), plain.field("missing")
    check("plain listener beside it reports its gap (%s printed, %s "
          "missing)" % (printed, missing),
          rc_p == 0 and plain_gap and printed is not None
          and int(missing) > 0 and int(printed) + int(missing) == n,
          plain.err.decode()[-600:])
    check("bridge: %d received and sent, no overrun; repair resent %s" %
          (n, rs.get("resent")),
          st.get("received") == str(n) and st.get("sent") == str(n)
          and st.get("overruns") == "0"
          and int(rs.get("resent", 0)) >= repaired,
          repr((st, rs)))


def test_last_mid_stream():
    """--last 100 while events keep coming: exactly the previous 100, then
    live, no duplicate, no gap."""
    port = 7791
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port)
    b.ready()
    ok, out = emit(port, 500)
    check("--last: 500 events before the listener (%s)" % out, ok)
    live = emit(port, 3000, start=501, window=0, rate=1000, wait=False)
    l = Listen("-p", port, "--last", "100", "--count", "300")
    done = l.p.wait(60) == 0
    live.kill()
    live.wait()
    l.stop()
    ev = l.events()
    hist = (l.field("history", "repair:") or "0..0").split("..")
    a, z = int(hist[0]), int(hist[1])
    first = ev[0]["bridge_seq"] if ev else 0
    check("--last 100 mid-stream: the history was %d..%d, 100 events" % (a, z),
          z - a + 1 == 100, l.err.decode()[-400:])
    check("--last 100: 300 events from its first, consecutive (no "
          "duplicate, no gap at the seam)",
          done and in_order(ev, a, 300) and first == a,
          "first=%d, %r" % (first, [e["bridge_seq"] for e in ev][95:105]))
    check("--last 100: each is the event of that number",
          all(index_of(e) == e["bridge_seq"] for e in ev))
    check("--last 100: 0 unrepairable, no gap",
          l.field("unrepairable", "repair:") == "0" and l.field("gaps") == "0")
    # --since: from a bridge_seq of the current run on.
    s = Listen("-p", port, "--since", "200", "--count", "400")
    done = s.p.wait(60) == 0
    s.stop()
    ev = s.events()
    check("--since 200 (no live event meanwhile): 400 events from 200 on, "
          "consecutive, nothing refused",
          done and in_order(ev, 200, 400) and s.field("bad", "repair:") == "0",
          s.err.decode()[-300:])
    b.stop()


def write_key(data):
    fd, path = tempfile.mkstemp(prefix="mcb-repair-key-")
    os.write(fd, data.hex().encode())
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def test_keyed():
    """With --key: forged, altered, replayed and unsigned requests are
    dropped and counted; an honest one is answered, signed; a --repair
    listener with the key repairs."""
    port = 7792
    key = os.urandom(32)
    path = write_key(key)
    try:
        b = h.Bridge("--map", "ethtool/monitor=:%d" % port, "--key", path)
        b.ready()
        raw = Raw(port)
        rep = Listen("-p", port, "--repair", "--key", path, "--rcvbuf",
                     "128K")
        ok, _ = emit(port, 1000)
        first = raw.next("event")
        run, epoch = first["bridge_run"], int(first["epoch"], 16)
        rep.wait_lines(1000)
        rep.signal(signal.SIGSTOP)
        ok2, _ = emit(port, 9000, start=1001)
        rep.signal(signal.SIGCONT)
        got = rep.wait_lines(10000, 120)
        check("--key: events bridged, signed", ok and ok2 and run
              and "hmac" in first)
        q = Requester(port, key)
        honest = q.build(RANGE, run, 10, 20, epoch=epoch)
        q.send(honest)
        recs, end = q.answer()
        check("--key: an honest request is answered: 11 signed datagrams "
              "and a signed END",
              end is not None and end["status"] == ST_OK
              and end.get("mac_ok") and len(recs) == 11
              and [r["bridge_seq"] for r in recs] == list(range(10, 21))
              and all("hmac" in r for r in recs), repr(end))
        forged = q.build(RANGE, run, 1, 5, epoch=epoch, key=os.urandom(32))
        altered = bytearray(q.build(RANGE, run, 1, 5, epoch=epoch))
        altered[47] ^= 0x01  # last 5 -> 4, the MAC no longer fits
        unsigned = q.build(RANGE, run, 1, 5, epoch=epoch, sign=False)
        for m in (forged, bytes(altered), honest, unsigned):
            q.send(m)
        q.send(q.build(RANGE, run, 30, 31, epoch=epoch))
        a = q.recv()
        check("--key: forged, altered, replayed and unsigned requests get "
              "nothing (the next answer is the next honest request's)",
              a is not None and a["req_seq"] == q.seq, repr(a and a["req_seq"]))
        q.answer()
        rs = bridge_stats(b, "repair")
        check("--key: the bridge counted them: bad_mac=2 replayed=1 "
              "unsigned=1, 2 requests taken",
              rs.get("bad_mac") == "2" and rs.get("replayed") == "1"
              and rs.get("unsigned") == "1" and rs.get("requests", "0") >= "2",
              repr(rs))
        # The listener's own requests were honest: taken, and answered.
        rep.stop()
        ev = rep.events()
        check("--key: the --repair listener got all 10,000 in order, "
              "repaired %s, 0 unrepairable" % rep.field("repaired", "repair:"),
              got and in_order(ev, 1, 10000)
              and rep.field("unrepairable", "repair:") == "0"
              and int(rep.field("repaired", "repair:") or 0) > 0,
              rep.err.decode()[-400:])
        check("--key: the listener's checks refused nothing",
              "bad_mac=0" in rep.err.decode() and rep.field("bad") == "0",
              rep.err.decode()[-400:])
        q.close()
        raw.close()
        b.stop()
    finally:
        os.unlink(path)


def test_flood():
    """One socket asking as fast as it can: what it gets back stays within
    --repair-rate, and the events go on."""
    port, rate, secs = 7793, 1 << 20, 3.0
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port, "--repair-rate",
                 str(rate))
    b.ready()
    raw = Raw(port)
    emit(port, 20000)
    run = raw.next("event")["bridge_run"]
    q = Requester(port)
    bg = emit(port, 5000, start=20001, window=500, wait=False)
    sent = got = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        try:
            q.sock.sendto(q.build(RANGE, run, 1, 20000), socket.MSG_DONTWAIT,
                          REPAIR)
            sent += 1
        except BlockingIOError:
            pass
        while True:
            try:
                got += len(q.sock.recv(70000, socket.MSG_DONTWAIT))
            except BlockingIOError:
                break
    dt = time.monotonic() - t0
    bg_ok = bg.wait(120) == 0
    rs = bridge_stats(b, "repair")
    burst = max(rate // 10, 2 * 65507)
    print("info: flood: %d requests in %.1f s, %d bytes answered: %.0f "
          "bytes/s (limit %d bytes/s, burst %d); bridge: throttled=%s "
          "superseded=%s" % (sent, dt, got, got / dt, rate, burst,
                             rs.get("throttled"), rs.get("superseded")))
    check("flood: answers within the rate limit: %.0f bytes/s measured, "
          "at most %d bytes/s and a burst of %d over %.1f s" % (
              got / dt, rate, burst, dt),
          got <= rate * dt + burst + 65507 and got >= rate * dt / 4,
          "%d bytes in %.2f s" % (got, dt))
    check("flood: requests over the request rate dropped and counted "
          "(%s of %d)" % (rs.get("throttled"), sent),
          int(rs.get("throttled", 0)) > 0 and int(rs.get("requests", 0)) <
          sent)
    check("flood: 5,000 events bridged meanwhile", bg_ok)
    q.close()
    raw.close()
    b.stop()


def test_restart():
    """A request about the previous run is refused, never answered with the
    new run's datagrams."""
    port = 7794
    raw = Raw(port)
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port)
    b.ready()
    emit(port, 100)
    run1 = raw.next("event")["bridge_run"]
    b.stop()
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port)
    b.ready()
    emit(port, 10)
    e = raw.next("event")
    while e and e["bridge_run"] == run1:
        e = raw.next("event")
    run2 = e["bridge_run"] if e else 0
    q = Requester(port)
    q.send(q.build(RANGE, run1, 1, 10))
    recs, end = q.answer()
    check("restart: a range of the old run is refused (another run), "
          "nothing resent",
          run1 != run2 and end is not None and end["status"] == ST_RUN
          and end["run"] == run2 and not recs, repr((run1, run2, end)))
    q.send(q.build(LAST, run1, count=5))
    recs, end = q.answer()
    check("restart: --last naming the old run: refused too",
          end is not None and end["status"] == ST_RUN and not recs)
    q.send(q.build(RANGE, run2, 1, 10))
    recs, end = q.answer()
    check("restart: the new run's range is answered with its own datagrams",
          end is not None and end["status"] == ST_OK and len(recs) == 10
          and all(r["bridge_run"] == run2 for r in recs), repr(end))
    q.close()
    raw.close()
    b.stop()


def test_tail_and_eviction():
    """The tail names the last bridge_seq and what the history holds; what
    left the history is answered unrepairable, exactly."""
    port = 7795
    raw = Raw(port)
    n = 3000
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port, "--history", "256K",
                 "--tail-ms", "200")
    b.ready()
    emit(port, n)
    t = raw.next("tail", 5)
    check("tail: after 200 ms idle, bridge_seq %d and the count held" % n,
          t is not None and t["bridge_seq"] == n
          and 0 < t["count"] < n and t["bridge_run"], repr(t))
    t2 = raw.next("tail", 5)
    check("tail: again while idle, the same",
          t2 is not None and t2["bridge_seq"] == n
          and t2["count"] == t["count"]
          and t2["bridge_time_ns"] - t["bridge_time_ns"] >= 200e6, repr(t2))
    held = t["count"] if t else 0
    q = Requester(port)
    q.send(q.build(RANGE, t["bridge_run"] if t else 0, 1, n))
    recs, end = q.answer()
    f = n - held + 1
    check("eviction: 1..%d unrepairable, %d..%d resent, exactly" % (f - 1, f, n),
          end is not None and end["lost_first"] == 1
          and end["lost_last"] == f - 1 and end["held_first"] == f
          and [r["bridge_seq"] for r in recs] == list(range(f, n + 1)),
          repr(end))
    st = bridge_stats(b, "ethtool/monitor")
    check("stats: history, its evictions and the tails counted",
          st.get("history") == str(held)
          and st.get("history_evicted") == str(n - held)
          and int(st.get("tails", 0)) >= 2, repr(st))
    b.stop()
    raw.drain()
    b = h.Bridge("--map", "ethtool/monitor=:%d" % port, "--tail-ms", "0",
                 "--repair", "off")
    line = b.ready() or ""
    emit(port, 5)
    # No signal says "no tail will come": wait past the default interval.
    t = raw.next("tail", 1.5)
    st = bridge_stats(b, "ethtool/monitor")
    check("--tail-ms 0: no tail; --repair off: no repair channel",
          t is None and st.get("tails") == "0" and "repair on" not in line,
          repr((t, st)))
    b.stop()
    raw.close()


def test_bad_options():
    for args, msg in ((["--history", "1000"], "--history must be 0"),
                      (["--repair", "nowhere"], "--repair"),
                      (["--repair", "[::1]"], "--repair"),
                      (["--tail-ms", "x"], "--tail-ms"),
                      (["--repair-rate", "1"], "--repair-rate")):
        p = subprocess.run([h.BRIDGE, *args], capture_output=True,
                           timeout=h.WAIT)
        check("bridge %s -> exit 2" % " ".join(args),
              p.returncode == 2 and msg.encode() in p.stderr,
              "rc=%d %r" % (p.returncode, p.stderr[-200:]))
    # The port taken: named by --repair, a setting that cannot work;
    # the default, a second bridge on the host: it runs without one.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(REPAIR)
    p = subprocess.run([h.BRIDGE, "--map", "ethtool/monitor=:7796",
                        "--repair", "127.0.0.1:7787"],
                       capture_output=True, timeout=h.WAIT)
    check("--repair port in use -> exit 2, named",
          p.returncode == 2 and b"7787" in p.stderr
          and b"--repair" in p.stderr, repr(p.stderr[-300:]))
    b = h.Bridge("--map", "ethtool/monitor=:7796")
    line = b.ready() or ""
    rc = b.stop()
    s.close()
    check("default repair port in use: runs without one, says so",
          "subscribed" in line and "repair on" not in line and rc == 0
          and b"7787 in use" in b.err and b"without a repair channel"
          in b.err, repr((line, b.err[-300:])))
    for args, msg in ((["--last", "0"], "--last"),
                      (["--last", "5", "--since", "3"], "exclude"),
                      (["--repair", "--repair-addr", "x:1"], "--repair-addr")):
        p = subprocess.run([LISTEN, *args], capture_output=True,
                           timeout=h.WAIT)
        check("listener %s -> exit 2" % " ".join(args),
              p.returncode == 2 and msg.encode() in p.stderr,
              "rc=%d %r" % (p.returncode, p.stderr[-200:]))


def main():
    if os.geteuid() != 0:
        print("SKIP repair host tests: need root")
        return 0
    for prog in (h.BRIDGE, LISTEN, EMIT):
        if not os.access(prog, os.X_OK):
            check("built: " + prog, False)
            return 1
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    test_bad_options()
    test_tail_and_eviction()
    test_restart()
    test_last_mid_stream()
    test_keyed()
    test_flood()
    test_stopped_listener()
    return h.summary("repair")


if __name__ == "__main__":
    sys.exit(main())
