#!/usr/bin/env python3
"""Native half of make bench: the bridge's whole userspace path on this
machine's own kernel, against what a user would do without it.

  unshare -n bench/native.py --raw FILE [--quick] [--only KINDS]

Run as root in a private network namespace (bench/run.sh does `unshare
-n`): the events are mcbridge-format messages that mcb-bench-emit --native
multicasts into a real generic netlink group (SRC, ethtool/monitor), which
only this namespace's sockets receive.  No module is needed.  Paths, each
for N = 1, 4, 16 receivers:

  D    N direct subscribers of SRC with libnl (mcb-bench-nlrecv)
  D'   the same reading with recvmmsg (--mmsg)
  B    raw UDP multicast to N receivers from one sender that sends the
       way the bridge sends (bridge/mcsink.c: mcb-bench-udpsend), in
       datagrams the size of the bridge's (per format)
  E2E  emitter -> mcbridged (its defaults, --map SRC=GROUP,format=F) ->
       N receivers (mcb-bench-listen, decoding like mcbridge-listen)

and per path: a burst of BURST events at the sender's full rate (3 rounds,
interleaved, so ratios come from measurements seconds apart), the highest
paced rate without loss (a ladder of fractions of the burst rate, refined by
bisection), and latency (origin time -> receive) at 1,000 and 10,000
events/s (3 rounds too).  Every receiver and the bridge run with their default buffers
(the receivers' is mcbridge-listen's default).  Then the kernel-side filter
check: a binary stream of four event types, a listener that wants one of
them with and without the kernel filter (mcb-bench-listen --type), and the
same listener on a stream of its type only.

Raw records go to FILE (bench/report_native.py reads them): "info",
"load" (uptime at each phase), "begin KEY=VALUE...", the senders' and
receivers' result lines, "cpu bridge_ns=N softirq_ns=N" (the bridge's
threads and the machine's ksoftirqd threads over the measurement, from
/proc/PID/task/*/schedstat), "bstats ..." (the bridge's counters), "end".

--quick: tiny counts, one round (the smoke test; the numbers mean nothing).
--only: a comma list of D,Dm,B,E,F (default all); --phases: of burst,
ladder,lat (default all), --ns: of receiver counts (default 1,4,16), for
experiments.

Environment, for experiments: MCB_BENCH_BRIDGE_ARGS (more mcbridged
options), MCB_BENCH_LISTEN_ARGS (more mcb-bench-listen options for B and
E2E receivers).
"""
import argparse
import glob
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawrec import kv  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(TOP, "build", "bench")
BRIDGE = os.path.join(TOP, "build", "bin", "mcbridged")
SRC = "ethtool/monitor"
GROUP = "225.0.0.1"
PORT = 7788
LAT_RATES = (1000, 10000)
FILTER_RATE = 10000


class Bench:
    def __init__(self, args):
        self.quick = args.quick
        self.raw = open(args.raw, "a")
        self.work = tempfile.mkdtemp(prefix="mcb-native-")
        self.procs = []
        self.started = 0
        self.bridge = None
        self.bridge_err = None
        if self.quick:
            self.ns = [1, 4]
            self.burst = 3000
            self.rounds = 1
            self.step_s = 0.3
            self.ladder = [500, 1250]
            self.refine = 0
            self.lat_s = {1000: 0.3, 10000: 0.2}
            self.filter_count = 2000
        else:
            self.ns = [1, 4, 16]
            self.burst = 300000
            self.rounds = 3
            self.step_s = 1.5
            self.ladder = [250, 500, 750, 1000]
            self.refine = 3
            # 3 s at 10,000/s: in 1 s windows one stall of a few ms is the
            # whole p99 (E2E binary p99 0.17-0.62 ms over 6 rounds, against
            # 0.17-0.23 in 3 s windows).
            self.lat_s = {1000: 2.0, 10000: 3.0}
            self.filter_count = 40000
        self.bridge_extra = shlex.split(os.environ.get("MCB_BENCH_BRIDGE_ARGS", ""))
        self.listen_extra = shlex.split(os.environ.get("MCB_BENCH_LISTEN_ARGS", ""))
        self.softirqd = [p for p in glob.glob("/proc/[0-9]*")
                         if read(p + "/comm").startswith("ksoftirqd/")]
        self.sizes = {}
        self.burst_rates = {}

    # ---- records ------------------------------------------------------
    def rec(self, line):
        self.raw.write(line.rstrip("\n") + "\n")
        self.raw.flush()

    def rec_files(self, paths):
        for p in paths:
            with open(p) as f:
                for line in f:
                    self.rec(line)

    def log(self, msg):
        sys.stderr.write("bench: native: %s\n" % msg)
        sys.stderr.flush()

    def load(self, what):
        self.rec("load when=%s loadavg=%s" % (
            what, "/".join(read("/proc/loadavg").split()[:3])))

    # ---- processes ----------------------------------------------------
    def start(self, name, cmd):
        self.started += 1
        out = os.path.join(self.work, "%s.%d.out" % (name, self.started))
        err = os.path.join(self.work, "%s.%d.err" % (name, self.started))
        with open(out, "w") as fo, open(err, "w") as fe:
            p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        p.out, p.err, p.name = out, err, name
        self.procs = [q for q in self.procs if q.poll() is None] + [p]
        return p

    def wait_line(self, path, prefix, proc, timeout=30):
        """Until FILE has a line starting with prefix (a readiness line)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(path) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError("%s: no '%s' line:\n%s" % (proc.name, prefix,
                                                      read(proc.err)))

    def receivers(self, kind, n, fmt, latency=False, extra=()):
        """N receivers of a path, joined (readiness lines seen)."""
        procs = []
        for i in range(n):
            if kind in ("D", "Dm"):
                cmd = [BIN + "/mcb-bench-nlrecv", "--group", SRC,
                       "--until", "end", "--timeout", "300"]
                if kind == "Dm":
                    cmd.append("--mmsg")
                ready = "nlrecv: ready"
            else:
                cmd = [BIN + "/mcb-bench-listen", "--format",
                       "raw" if kind == "B" else fmt, "--until", "end",
                       "--timeout", "300"] + self.listen_extra + list(extra)
                ready = "listen: ready"
            if latency:
                cmd.append("--latency")
            procs.append(self.start("rx%d" % i, cmd))
        for p in procs:
            self.wait_line(p.err, ready, p)
        return procs

    def sender_cmd(self, kind, fmt, tag, count=None, rate=0, duration=None,
                   end=True):
        if kind == "B":
            cmd = [BIN + "/mcb-bench-udpsend", "--tag", tag, "--size",
                   str(self.sizes[fmt]), "--count",
                   str(count if count else max(1, int(rate * duration)))]
            if rate:
                cmd += ["--rate", str(rate), "--tick-us", str(tick_us(rate))]
        else:
            cmd = [BIN + "/mcb-bench-emit", "--native", SRC, "--tag", tag]
            if count:
                cmd += ["--count", str(count)]
            if duration:
                cmd += ["--duration", str(duration)]
            if rate:
                cmd += ["--rate", str(rate), "--tick-us", str(tick_us(rate))]
        if end:
            cmd += ["--end-tag", "end", "--end-for", "60"]
        return cmd

    def run_sender(self, cmd, rxs):
        """A sender with end markers, until every receiver has exited."""
        s = self.start("send", cmd)
        for p in rxs:
            try:
                p.wait(timeout=200)
            except subprocess.TimeoutExpired:
                self.log("%s did not see the end marker: stopping it" % p.name)
                p.send_signal(signal.SIGTERM)
                p.wait()
        s.terminate()
        s.wait()
        with open(s.out) as f:
            line = f.readline()
        self.rec(line)
        return kv(line.split()[1:])

    def start_bridge(self, fmt):
        self.bridge = self.start("bridge", [
            BRIDGE, "--map", "%s=%s:%d,format=%s" % (SRC, GROUP, PORT, fmt)]
            + self.bridge_extra)
        line = self.wait_line(self.bridge.out, "mcbridged: ready", self.bridge)
        if "subscribed" not in line:
            raise RuntimeError("bridge not subscribed: " + line)

    def stop_bridge(self):
        self.bridge.terminate()
        self.bridge.wait()
        self.bridge = None

    def bridge_stats(self):
        """The bridge's counters: its stats line after SIGUSR1."""
        def lines():
            return [l for l in read(self.bridge.err).splitlines()
                    if "mcbridged: stats " in l]
        before = len(lines())
        self.bridge.send_signal(signal.SIGUSR1)
        end = time.monotonic() + 10
        while len(lines()) <= before and time.monotonic() < end:
            time.sleep(0.01)
        last = lines()[-1]
        return last.split(": stats ", 1)[1]

    def bridge_cpu(self):
        if not self.bridge:
            return 0
        return sum(schedstat(t) for t in
                   glob.glob("/proc/%d/task/*" % self.bridge.pid))

    def softirq_cpu(self):
        return sum(schedstat(p) for p in self.softirqd)

    # ---- loss and quiet ----------------------------------------------
    def drops(self):
        """Everything dropped so far in this namespace: netlink sockets
        (the bridge's and direct subscribers'), UDP receive queues, the
        loopback backlog (machine-wide), and the bridge's send errors."""
        n = 0
        for line in read("/proc/net/netlink").splitlines()[1:]:
            n += int(line.split()[8])
        udp = [l.split() for l in read("/proc/net/snmp").splitlines()
               if l.startswith("Udp:")]
        n += int(udp[1][udp[0].index("InErrors")])
        for line in read("/proc/net/softnet_stat").splitlines():
            n += int(line.split()[1], 16)
        if self.bridge:
            n += int(kv(self.bridge_stats().split()).get("send_errors", 0))
        return n

    def queued(self):
        """Bytes waiting in netlink and UDP receive queues."""
        q = 0
        for line in read("/proc/net/netlink").splitlines()[1:]:
            q += int(line.split()[4])
        for line in read("/proc/net/udp").splitlines()[1:]:
            w = line.split()
            q += int(w[4].split(":")[1], 16)
        return q

    def quiesce(self, drain_s):
        """True when everything was taken within drain_s."""
        end = time.monotonic() + drain_s
        prev = None
        while True:
            cur = kv(self.bridge_stats().split()).get("received") \
                if self.bridge else None
            if self.queued() == 0 and cur == prev:
                return time.monotonic() <= end
            if time.monotonic() > end + 30:
                self.log("queues still busy 30 s after a step")
                return False
            prev = cur
            time.sleep(0.02)

    # ---- measurements ----------------------------------------------------
    def measure_burst(self, kind, fmt, n, rnd):
        attrs = "kind=%s fmt=%s n=%d phase=burst round=%d" % (kind, fmt, n, rnd)
        self.log(attrs)
        self.rec("begin " + attrs)
        if kind == "E":
            self.start_bridge(fmt)
        rxs = self.receivers(kind, n, fmt)
        c0, s0 = self.bridge_cpu(), self.softirq_cpu()
        self.run_sender(self.sender_cmd(kind, fmt, kind, count=self.burst), rxs)
        c1, s1 = self.bridge_cpu(), self.softirq_cpu()
        self.rec_files([p.out for p in rxs])
        self.rec("cpu bridge_ns=%d softirq_ns=%d" % (c1 - c0, s1 - s0))
        if kind == "E":
            self.rec("bstats " + self.bridge_stats())
            self.stop_bridge()
            if fmt not in self.sizes:
                t = kv(read(rxs[0].out).split("\n")[0].split()[1:])
                self.sizes[fmt] = round(int(t["bytes"]) / int(t["n"]))
        self.rec("end")
        rate = burst_rate(rxs, kind)
        self.burst_rates.setdefault((kind, fmt, n), []).append(rate)

    def measure_ladder(self, kind, fmt, n):
        rates = sorted(self.burst_rates.get((kind, fmt, n), [0]))
        top = rates[len(rates) // 2] or 1000
        attrs = "kind=%s fmt=%s n=%d phase=ladder max=%d" % (kind, fmt, n, top)
        self.log(attrs)
        self.rec("begin " + attrs)
        if kind == "E":
            self.start_bridge(fmt)
        rxs = self.receivers(kind, n, fmt)
        k = [0]

        def step(milli):
            k[0] += 1
            tag = "S%d" % k[0]
            rate = max(1, top * milli // 1000)
            d0 = self.drops()
            self.rec("step tag=%s milli=%d rate_req=%d" % (tag, milli, rate))
            s = self.start("step", self.sender_cmd(
                kind, fmt, tag, rate=rate, duration=self.step_s, end=False))
            s.wait()
            self.rec(read(s.out).split("\n")[0])
            quiet = self.quiesce(0.2)
            d = self.drops() - d0
            self.rec("stepdrops tag=%s drops=%d quiet=%d" % (tag, d, quiet))
            return d > 0 or not quiet

        good, bad = 0, None
        for m in self.ladder:
            if step(m):
                bad = bad or m
            else:
                good = m
        for _ in range(self.refine):
            if bad is None or bad - good < 20:
                break
            m = (good + bad) // 2
            if step(m):
                bad = m
            else:
                good = m
        self.run_sender(self.sender_cmd(kind, fmt, "end", count=1), rxs)
        self.rec_files([p.out for p in rxs])
        if kind == "E":
            self.stop_bridge()
        self.rec("end")

    def measure_latency(self, kind, fmt, n, rate, rnd):
        attrs = "kind=%s fmt=%s n=%d phase=lat rate=%d round=%d" % (
            kind, fmt, n, rate, rnd)
        self.log(attrs)
        self.rec("begin " + attrs)
        if kind == "E":
            self.start_bridge(fmt)
        rxs = self.receivers(kind, n, fmt, latency=True)
        # A warm-up tag first: first wake-ups and page faults are not what
        # a steady stream sees.
        w = self.start("warm", self.sender_cmd(kind, fmt, "W", rate=rate,
                                               duration=0.3, end=False))
        w.wait()
        self.run_sender(self.sender_cmd(
            kind, fmt, "L", count=int(rate * self.lat_s[rate]), rate=rate), rxs)
        self.rec_files([p.out for p in rxs])
        if kind == "E":
            self.stop_bridge()
        self.rec("end")

    def measure_filter(self):
        """Kernel-side filters: a stream of the four mcbridge event types
        at FILTER_RATE (binary, encoded by the bridge's encoder and sent
        by its sink: mcb-bench-udpsend --encode) to a listener that wants
        type 1 with the kernel filter (rx=kernel), then to one without it
        (rx=user); then the baseline: a stream of type 1 only at a quarter
        of the rate, to a listener that wants it all (rx=only): what the
        filtered listener should cost per event it gets.  One listener at
        a time: with three listeners and the sender on two CPUs, each
        woken by the same datagrams, a listener's CPU per wake-up tripled
        (24 us against 7 us alone), which measured the crowd, not the
        filter.  Rounds interleaved, like the bursts: one 4 s run of
        each varied by 10 % from run to run."""
        n = self.filter_count
        for r, (phase, types, rate, count, name, extra) in (
                (r, spec) for r in range(1, self.rounds + 1) for spec in (
                ("mixed", 4, FILTER_RATE, n, "kernel", ["--type", "1"]),
                ("mixed", 4, FILTER_RATE, n, "user",
                 ["--type", "1", "--no-kernel-filter"]),
                ("only", 1, FILTER_RATE // 4, n // 4, "only", []))):
            attrs = ("kind=F fmt=binary phase=%s rate=%d types=%d rx=%s "
                     "round=%d" % (phase, rate, types, name, r))
            self.log(attrs)
            self.rec("begin " + attrs)
            rxs = self.receivers("E", 1, "binary",
                                 extra=extra + ["--name", name])
            self.run_sender([BIN + "/mcb-bench-udpsend", "--encode", "binary",
                             "--types", str(types), "--tag", "F",
                             "--count", str(count), "--rate", str(rate),
                             "--tick-us", str(tick_us(rate)),
                             "--end-tag", "end", "--end-for", "60"], rxs)
            self.rec_files([p.out for p in rxs])
            self.rec("end")

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        if self.bridge and self.bridge.poll() is None:
            self.bridge.kill()
        shutil.rmtree(self.work, ignore_errors=True)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def schedstat(path):
    """ns on CPU of a task (/proc/PID[/task/TID]/schedstat)."""
    s = read(path + "/schedstat").split()
    return int(s[0]) if s else 0


def tick_us(rate):
    """Pacing tick: one event per tick up to 10,000/s, 100 us above."""
    return max(100, min(1000000, 1000000 // max(rate, 1)))


def burst_rate(rxs, tag):
    omin, rlast, n = None, None, []
    for p in rxs:
        for line in read(p.out).splitlines():
            w = line.split()
            r = kv(w[1:])
            if len(w) > 1 and r.get("tag") == tag:
                o, l = int(r["origin_min"]), int(r["recv_last"])
                omin = o if omin is None else min(omin, o)
                rlast = l if rlast is None else max(rlast, l)
                n.append(int(r["n"]))
    if not n or rlast <= omin:
        return 0
    return int(sum(n) / len(n) * 1e9 / (rlast - omin))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="D,Dm,B,E,F")
    ap.add_argument("--phases", default="burst,ladder,lat")
    ap.add_argument("--ns", default=None)
    args = ap.parse_args()
    only = set(args.only.split(","))
    phases = set(args.phases.split(","))
    if os.geteuid() != 0:
        sys.exit("bench: native: run as root")
    if read("/proc/self/net/dev").count(":") > 1:
        sys.exit("bench: native: run in a private network namespace "
                 "(unshare -n): the events would reach this host's "
                 "ethtool listeners")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    b = Bench(args)
    if args.ns:
        b.ns = [int(n) for n in args.ns.split(",")]
    try:
        cpu = [l.split(":", 1)[1].strip() for l in
               read("/proc/cpuinfo").splitlines() if l.startswith("model name")]
        b.rec("info native=1 kernel=%s cores=%d burst=%d rounds=%d step_s=%g "
              "source=%s quick=%d rmem_max=%s netdev_max_backlog=%s cpu=%s" % (
                  os.uname().release, os.cpu_count(), b.burst, b.rounds,
                  b.step_s, SRC, args.quick,
                  read("/proc/sys/net/core/rmem_max").strip(),
                  # (not visible in a namespace of its own on newer kernels)
                  read("/proc/sys/net/core/netdev_max_backlog").strip() or "?",
                  (cpu[0] if cpu else "?").replace(" ", "_")))
        b.load("start")
        # E2E first: its datagram sizes are B's.
        paths = [(k, f) for k, f in (("E", "json"), ("E", "binary"),
                                     ("D", "-"), ("Dm", "-"),
                                     ("B", "json"), ("B", "binary"))
                 if k in only and (k != "B" or ("E" in only))]
        for r in range(1, b.rounds + 1):
            if "burst" not in phases:
                break
            b.load("bursts-%d" % r)
            for k, f in paths:
                for n in b.ns:
                    b.measure_burst(k, f, n, r)
        if "ladder" in phases:
            b.load("ladders")
            for k, f in paths:
                for n in b.ns:
                    b.measure_ladder(k, f, n)
        for r in range(1, b.rounds + 1):
            if "lat" not in phases:
                break
            b.load("latency-%d" % r)
            for rate in LAT_RATES:
                for k, f in paths:
                    for n in b.ns:
                        b.measure_latency(k, f, n, rate, r)
        if "F" in only:
            b.load("filter")
            b.measure_filter()
        b.load("end")
        b.rec("done")
    finally:
        b.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
