#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench, the forwarder's part: mcbridge-nats beside a raw publisher.

Run as root.  The fleet of tests/nats/fleet.py, smaller: a 3-node
nats-server cluster with JetStream (stream BENCH, 3 replicas) in a network
namespace, and one host namespace with mcbridged bridging ethtool/monitor,
the native source (mcb-genl-emit) and mcbridge-nats.  In the same run:

  raw        bench/mcb-nats-bench pub: messages of the forwarder's size and
             form, straight to core NATS / to JetStream R3 (asynchronous,
             Nats-Msg-Id, 256 in flight like the forwarder's default)
  forwarder  source -> mcbridged -> mcbridge-nats -> NATS, core / JetStream

Throughput: a burst of EVENTS, rate = events / (last - first arrival at a
NATS subscriber that only counts); CPU per event of the publisher (the
raw client, or mcbridge-nats) from /proc.  Latency: LAT_RATE events/s for
LAT_SECONDS, from the emitter's (or publisher's) send time to a subscriber
that decodes, one host, CLOCK_MONOTONIC.  The machine's load average goes
into the results: on a shared machine the tails move with it.  Prints a
table and writes bench/results/nats.txt.
"""
import os
import sys
import tempfile
import shutil
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "nats"))
import fleet as F  # noqa: E402  (the suite's namespaces, servers, processes)

BENCH = os.path.join(F.BUILD, "bench", "mcb-nats-bench")
EVENTS = int(os.environ.get("MCB_NATS_BENCH_EVENTS", "50000"))
LAT_RATE = 1000
LAT_SECONDS = 5
PAD = 64
RESULTS = os.path.join(TOP, "bench", "results", "nats.txt")


def cpu_ns(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf(
        "SC_CLK_TCK")


def kv(line):
    return {k: int(v) for k, v in
            (w.split("=", 1) for w in line.split()[1:] if "=" in w)
            if v.isdigit()}


class Bench:
    def __init__(self, work, net, fleet):
        self.work, self.net, self.fleet = work, net, fleet
        self.n = 0

    def proc(self, name, cmd, ns=None):
        self.n += 1
        return F.Proc(self.work, "%s-%d" % (name, self.n), cmd, ns=ns)

    def sub(self, subject, count, stream=None, count_only=False):
        s = self.proc("sub", [BENCH, "sub", "--server",
                              "nats://127.0.0.1:14221", "--subject", subject,
                              "--count", str(count)] +
                      (["--stream", stream] if stream else []) +
                      (["--count-only"] if count_only else []))
        s.wait_line(r"^sub ready", "err")
        return s

    def result(self, sub):
        if sub.p.wait(300) != 0:
            raise RuntimeError("subscriber: " + sub.text())
        return kv(sub.text("out").strip().splitlines()[-1])

    def raw(self, stream):
        """Raw publisher: (events/s, CPU µs/event, latency)."""
        subj = "bench.raw%d" % self.n
        s = self.sub(subj, EVENTS, stream, True)
        p = self.proc("pub", [BENCH, "pub", "--server",
                              "nats://127.0.0.1:14222", "--subject", subj,
                              "--count", str(EVENTS), "--pad", str(PAD)] +
                      (["--stream", stream] if stream else []))
        if p.p.wait(300) != 0:
            raise RuntimeError("publisher: " + p.text())
        pub = kv(p.text("out").strip())
        r = self.result(s)
        rate = EVENTS * 1e9 / max(1, r["last_ns"] - r["first_ns"])
        subj = "bench.rawlat%d" % self.n
        n = LAT_RATE * LAT_SECONDS
        s = self.sub(subj, n, stream)
        p = self.proc("pub", [BENCH, "pub", "--server",
                              "nats://127.0.0.1:14222", "--subject", subj,
                              "--count", str(n), "--pad", str(PAD),
                              "--rate", str(LAT_RATE)] +
                      (["--stream", stream] if stream else []))
        p.p.wait(120)
        lat = self.result(s)
        return rate, pub["cpu_ns"] / EVENTS / 1e3, lat

    def forwarder(self, stream):
        h = "h1"
        extra = ["-j", stream] if stream else []
        f = self.proc("fwd", [F.FWD, "--host", h, "-s", self.net.urls(h),
                              "--rcvbuf", "64M"] + extra, ns=self.net.hosts[h])
        f.wait_line(r"^mcbridge-nats: ready")
        f.wait_line(r"stream BENCH checked" if stream else r"connected to",
                    "err")
        subj = "mcbridge.%s.>" % h
        s = self.sub(subj, EVENTS, stream, True)
        c0 = cpu_ns(f.p.pid)
        e = self.fleet.emit(h, EVENTS, 1, 0)
        e.p.wait(300)
        r = self.result(s)
        c1 = cpu_ns(f.p.pid)
        st = f.stats()
        rate = EVENTS * 1e9 / max(1, r["last_ns"] - r["first_ns"])
        n = LAT_RATE * LAT_SECONDS
        s = self.sub(subj, n, stream)
        e = self.fleet.emit(h, n, EVENTS + 1, LAT_RATE)
        e.p.wait(120)
        lat = self.result(s)
        f.stop()
        if st.get("missing") or st.get("lost"):
            F.note("forwarder lost events: %s" % st)
        return rate, (c1 - c0) / EVENTS / 1e3, lat


def main():
    work = tempfile.mkdtemp(prefix="mcbn-bench-")
    net = F.Net("b%d" % os.getpid())
    fleet = None
    rows = []
    try:
        net.build()
        F.enter_netns(net.core)
        fleet = F.Fleet(work, net)
        fleet.start_cluster()
        c = F.NatsClient(14221)
        r = c.api("STREAM.CREATE.BENCH", {
            "name": "BENCH", "subjects": ["bench.>", "mcbridge.>"],
            "num_replicas": 3, "storage": "file", "retention": "limits",
            "duplicate_window": 120 * 10**9})
        c.close()
        if "error" in r:
            raise RuntimeError(r)
        fleet.start_bridge("h1", "json")
        b = Bench(work, net, fleet)
        for name, fn, stream in (
                ("raw publisher, core NATS", b.raw, None),
                ("raw publisher, JetStream R3", b.raw, "BENCH"),
                ("mcbridge-nats, core NATS", b.forwarder, None),
                ("mcbridge-nats, JetStream R3", b.forwarder, "BENCH")):
            rate, cpu, lat = fn(stream)
            rows.append((name, rate, cpu, lat))
            F.note("%s: %.0f events/s, %.1f us CPU/event, latency p50 %.2f "
                   "p99 %.2f max %.2f ms" % (
                       name, rate, cpu, lat["lat_p50_ns"] / 1e6,
                       lat["lat_p99_ns"] / 1e6, lat["lat_max_ns"] / 1e6))
    finally:
        if fleet:
            fleet.stop_all()
        net.destroy()
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "mcbridge-nats benchmark, %s UTC, %d CPUs, %s, load average %s" % (
            time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.cpu_count(),
            os.popen("nats-server --version").read().strip(),
            " ".join("%.1f" % x for x in os.getloadavg())),
        "burst: %d events (JSON, a %d-byte string attribute each), "
        "latency: %d/s for %d s" % (EVENTS, PAD, LAT_RATE, LAT_SECONDS),
        "",
        "| path | events/s | CPU us/event (publisher) | latency p50 / p99 / "
        "max ms | rate / raw |",
        "|---|---|---|---|---|",
    ]
    raw = {"core NATS": rows[0][1], "JetStream R3": rows[1][1]}
    for name, rate, cpu, lat in rows:
        kind = name.split(", ")[1]
        lines.append("| %s | %.0f | %.1f | %.2f / %.2f / %.2f | %.2f |" % (
            name, rate, cpu, lat["lat_p50_ns"] / 1e6, lat["lat_p99_ns"] / 1e6,
            lat["lat_max_ns"] / 1e6, rate / raw[kind]))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(RESULTS, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
