#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench, repair part: what the history and the repair channel cost,
and what they buy a slow listener.  Native, on this host's kernel: the
bridge bridges ethtool/monitor, fed by tests/nats/mcb-genl-emit (numbered messages
multicast from userspace), in a private network namespace (bench/repair.sh
runs us under unshare -n, as root).

  bench/repair.py [--quick] [--out DIR]

Measures:
  history   the bridge's CPU per event (utime + stime of the process over
            a flow-controlled burst, median of 3) and its RSS, history off
            and on (16M); instructions per event of the bridge's path with
            and without history (mcb-bench-ir under callgrind: exact).
  repair    the bridge's CPU and the wall time per resent datagram for
            requests of 65,536 (answers unpaced); a mcbridge-listen
            --repair stopped during a burst: wall and CPU time per repaired
            event from SIGCONT until it printed all.
  slow      a deliberately slow listener (mcbridge-listen piped into a
            reader of CONSUMER lines/s): the highest paced rate, of a
            ladder, at which it ends with every event, without and with
            --repair (history 2M, so its bound shows too).
Writes DIR/repair.txt (default bench/results) and prints it.
"""
import argparse
import os
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BRIDGE = os.path.join(TOP, "build", "bin", "mcbridged")
LISTEN = os.path.join(TOP, "build", "bin", "mcbridge-listen")
EMIT = os.path.join(TOP, "build", "tests", "nats", "mcb-genl-emit")
IR = os.path.join(TOP, "build", "bench", "mcb-bench-ir")
GROUP, REPAIR = "225.0.0.1", ("127.0.0.1", 7787)


def cpu_s(pid):
    """CPU time of a (one-threaded) process, seconds: the scheduler's
    nanoseconds, not utime + stime's clock ticks."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0]) / 1e9


def rss_kb(pid, key="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith(key + ":"):
                return int(l.split()[1])
    return -1


class Bridge:
    def __init__(self, *args):
        self.p = subprocess.Popen([BRIDGE, *map(str, args)],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        line = self.p.stdout.readline()
        if b"ready" not in line:
            sys.exit("bench: the bridge did not start: %r" % line)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(30)


def emit(port, count, start=1, window=4000, rate=0, wait=True):
    cmd = [EMIT, "--count", str(count), "--start", str(start)]
    if window:
        cmd += ["--window", str(window), "--watch-port", str(port)]
    if rate:
        cmd += ["--rate", str(rate)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if wait and p.wait(600) != 0:
        sys.exit("bench: the emitter failed")
    return p


def history_cost(n, rounds, port=7800):
    out = {}
    for hist in ("0", "16M"):
        cpu, rss = [], []
        for _ in range(rounds):
            b = Bridge("--map", "ethtool/monitor=:%d" % port, "--history",
                       hist, "--tail-ms", "0", "--repair", "off")
            c0 = cpu_s(b.p.pid)
            emit(port, n)
            cpu.append((cpu_s(b.p.pid) - c0) / n * 1e6)
            rss.append(rss_kb(b.p.pid))
            b.stop()
        out[hist] = (statistics.median(cpu), statistics.median(rss))
    return out


def ir_per_event(counts, history):
    """Instructions per event of the bridge's path (callgrind)."""
    irs = []
    for n in counts:
        with tempfile.NamedTemporaryFile() as cg:
            subprocess.run(["valgrind", "--tool=callgrind",
                            "--collect-atstart=no",
                            "--toggle-collect=bridge_wakeup*",
                            "--callgrind-out-file=" + cg.name, IR, "--format",
                            "json", "--events", str(n), "--history",
                            str(history)], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            tot = [l for l in open(cg.name) if l.startswith("totals:")]
            irs.append(int(tot[0].split()[1]))
    return (irs[1] - irs[0]) / (counts[1] - counts[0])


def request(sock, run, first, last, seq, port):
    m = struct.pack(">IBBBBIIQQ", 0x4D434250, 1, 1, 0, 0, run, 0, 1, seq)
    m += struct.pack(">QQQQ16sHB5s16s16s", first, last, 0, 0,
                     socket.inet_aton(GROUP) + b"\0" * 12, port, 4,
                     b"\0" * 5, b"", b"")
    sock.sendto(m, REPAIR)


def repair_cost(n, port=7801):
    """Bridge CPU and wall time per resent datagram; then a listener."""
    b = Bridge("--map", "ethtool/monitor=:%d" % port, "--history", "64M",
               "--repair-rate", "16G", "--repair-rate-total", "16G",
               "--tail-ms", "0")
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    raw.bind((GROUP, port))
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                   socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1"))
    emit(port, n)
    run = int(raw.recv(70000).split(b'"bridge_run":')[1].split(b",")[0])
    raw.close()
    q = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    q.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    q.bind(("127.0.0.1", 0))
    c0, t0, resent, seq = cpu_s(b.p.pid), time.monotonic(), 0, 0
    for first in range(1, n + 1, 65536):
        seq += 1
        request(q, run, first, min(n, first + 65535), seq, port)
        while True:
            d = q.recv(70000)
            if d[5] == 5:
                break
            resent += struct.unpack_from(">I", d, 48)[0]
    wall, cpu = time.monotonic() - t0, cpu_s(b.p.pid) - c0
    q.close()
    b.stop()
    if resent != n:
        sys.exit("bench: %d resent of %d" % (resent, n))
    out = {"bridge_cpu_us": cpu / n * 1e6, "wall_us": wall / n * 1e6}

    # A --repair listener stopped during a burst: the time to repair it.
    b = Bridge("--map", "ethtool/monitor=:%d" % port, "--history", "64M",
               "--tail-ms", "100", "--repair-rate", "1G",
               "--repair-rate-total", "1G")
    r, w = os.pipe()
    l = subprocess.Popen([LISTEN, "-p", str(port), "--repair", "--rcvbuf",
                          "256K", "--count", str(n), "--ready-fd", str(w)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         pass_fds=(w,))
    os.close(w)
    select.select([r], [], [], 10)
    os.close(r)
    l.send_signal(signal.SIGSTOP)
    emit(port, n)
    t0 = time.monotonic()
    l.send_signal(signal.SIGCONT)
    err = l.stderr.read().decode()  # until it exits (--count)
    # Reaped here for its CPU time, which /proc no longer has.
    _, status, ru = os.wait4(l.pid, 0)
    l.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    cpu = ru.ru_utime + ru.ru_stime
    b.stop()
    rep = [x for x in err.split() if x.startswith("repaired=")]
    repaired = int(rep[0].split("=")[1]) if rep else 0
    out.update(listener_repaired=repaired,
               listener_wall_us=wall / max(repaired, 1) * 1e6,
               listener_cpu_us=cpu / max(repaired, 1) * 1e6,
               listener_ok=l.returncode == 0 and "unrepairable=0" in err)
    return out


SLOW_READER = r"""
import sys, time
rate, n = float(sys.argv[1]), int(sys.argv[2])
t0, got = time.monotonic(), 0
for line in sys.stdin.buffer:
    got += 1
    if got % 50 == 0:
        ahead = t0 + got / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    if got >= n:
        break
print(got)
"""


def trial(port, n, rate, consumer, repair):
    """One paced burst to the slow listener: did it end with all n?  A
    loss shows on its stderr as a gap (with --repair: only what could not
    be repaired); then it is stopped, not waited for."""
    args = [LISTEN, "-p", str(port), "--rcvbuf", "256K", "--count", str(n),
            "--timeout", str(n / consumer * 3 + 20)]
    if repair:
        args.append("--repair")
    r, w = os.pipe()
    l = subprocess.Popen(args + ["--ready-fd", str(w)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=(w,))
    os.close(w)
    slow = subprocess.Popen([sys.executable, "-c", SLOW_READER,
                             str(consumer), str(n)], stdin=l.stdout,
                            stdout=subprocess.PIPE)
    l.stdout.close()
    select.select([r], [], [], 10)
    os.close(r)
    err, lost = [], threading.Event()

    def watch():
        for line in l.stderr:
            err.append(line)
            if b": gap:" in line or b"unrepairable:" in line:
                lost.set()
        lost.set()  # exited
    threading.Thread(target=watch, daemon=True).start()
    first = trial.next_idx
    trial.next_idx += n
    e = emit(port, n, start=first, window=0, rate=int(rate), wait=False)
    lost.wait(n / consumer * 3 + 60)
    if l.poll() is None:
        l.send_signal(signal.SIGTERM)
    got = int(slow.communicate(timeout=60)[0] or 0)
    l.wait(60)
    e.wait(600)
    text = b"".join(err).decode()
    missing = [x for x in text.split() if x.startswith(("missing=",
                                                         "unrepairable="))]
    return got == n and sum(int(x.split("=")[1]) for x in missing) == 0


trial.next_idx = 1


def slow_listener(n, consumer, ladder, port=7802):
    out = {}
    for repair in (False, True):
        b = Bridge("--map", "ethtool/monitor=:%d" % port, "--history", "2M",
                   "--tail-ms", "200")
        best, tried = 0, []
        for f in ladder:
            rate = consumer * f
            ok = trial(port, n, rate, consumer, repair)
            tried.append((int(rate), ok))
            if not ok:
                break
            best = int(rate)
        b.stop()
        out[repair] = (best, tried)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "results"))
    a = ap.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    q = a.quick
    n_hist, rounds = (20000, 1) if q else (200000, 3)
    n_rep = 5000 if q else 100000
    consumer, n_slow = (2000, 2000) if q else (5000, 20000)
    ladder = ((0.5, 1.25, 2, 4) if q else
              (0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 2, 3, 5, 10, 20))
    t0 = time.monotonic()
    load = os.getloadavg()[0]

    hc = history_cost(n_hist, rounds)
    ir = (ir_per_event((200, 1200) if q else (1000, 11000), 0),
          ir_per_event((200, 1200) if q else (1000, 11000), 16 << 20))
    rc = repair_cost(n_rep)
    sl = slow_listener(n_slow, consumer, ladder)

    lines = [
        "mcbridge repair bench, %s, %s (%d cores, load average %.1f at "
        "the start), kernel %s, native%s" % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "?"),
            os.cpu_count(), load, os.uname().release,
            " [quick run: numbers meaningless]" if q else ""),
        "",
        "history (--history 16M vs 0; %d JSON events of ethtool/monitor, "
        "flow-controlled burst, median of %d):" % (n_hist, rounds),
        "  bridge CPU per event        off %.2f us   on %.2f us   (+%.2f us)"
        % (hc["0"][0], hc["16M"][0], hc["16M"][0] - hc["0"][0]),
        "  instructions per event      off %.0f   on %.0f   (+%.0f, "
        "callgrind, mcb-bench-ir)" % (ir[0], ir[1], ir[1] - ir[0]),
        "  bridge RSS after the burst  off %d kB   on %d kB   (+%d kB)"
        % (hc["0"][1], hc["16M"][1], hc["16M"][1] - hc["0"][1]),
        "",
        "repair (%d events resent, requests of 65,536, answers unpaced):"
        % n_rep,
        "  bridge CPU per resent event %.2f us" % rc["bridge_cpu_us"],
        "  wall time per resent event  %.2f us (request to END, Python "
        "requester)" % rc["wall_us"],
        "  mcbridge-listen --repair, stopped during %d events: %d repaired, "
        "%.2f us wall (SIGCONT to the last printed; the end learnt from a "
        "100 ms tail) and %.2f us CPU (the whole run) per repaired event%s"
        % (
            n_rep, rc["listener_repaired"], rc["listener_wall_us"],
            rc["listener_cpu_us"],
            "" if rc["listener_ok"] else " [NOT all: check]"),
        "",
        "slow listener (mcbridge-listen --rcvbuf 256K piped into a reader of "
        "%d lines/s; %d events per paced burst; bridge --history 2M):"
        % (consumer, n_slow),
    ]
    for repair in (False, True):
        best, tried = sl[repair]
        lines.append("  %-15s zero-loss paced rate %d events/s   (ladder: %s)"
                     % ("with --repair" if repair else "without repair", best,
                        ", ".join("%d %s" % (r, "ok" if ok else "LOSS")
                                  for r, ok in tried)))
    lines.append("")
    lines.append("(%d s)" % (time.monotonic() - t0))
    text = "\n".join(lines) + "\n"
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "repair.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
