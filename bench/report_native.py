"""The native half of the benchmark report (bench/native.py's records):
the table, the targets of the native benchmark with their verdicts, and
the data files of bench/plot-native.gp.  bench/report.py calls it.

Rates: events per receiver / (last receive - first origin time), the
median of the rounds.  CPU per event: each process's CPU over the burst
divided by the events sent, split as sender (the emitter, which pays the
kernel's netlink fan-out, or B's UDP sender) + the bridge (all its threads)
+ N x one receiver + the machine's ksoftirqd threads.  Latency: origin
time -> receive, the worst receiver's percentile, the median of the
rounds.
"""
import statistics
from collections import defaultdict

import rawrec
from rawrec import fmt_pct, fmt_rate, median, num

NS = (1, 4, 16)
PATHS = (("D", "-"), ("Dm", "-"), ("B", "json"), ("B", "binary"),
         ("E", "json"), ("E", "binary"))
IR_TARGETS = (("binary", 600), ("json", 2000))
FILTER_WOKEN_MAX = 0.30
FILTER_CPU_SLACK = 1.10	# "does not grow": within 10 %, the noise here


def ir_target_key(ir, f):
    """The count a target of format f is judged on: the bridge as it runs
    by default, with its history (full), when measured."""
    return f + "/history" if f + "/history" in ir else f


def parse(path):
    raw = rawrec.parse(path)
    for b in raw.blocks:
        b.bstats = b.bstats[-1] if b.bstats else {}
    return raw.info, raw.loads, raw.blocks


def sent_of(s):
    return num(s.get("emitted", s.get("sent", "0")))


def burst(b):
    """Rate per receiver, loss, CPU split of a burst block."""
    tag = b.attrs["kind"]
    lines = [r for r in b.rx if r.get("tag") == tag]
    n = int(b.attrs["n"])
    if not b.sender or not lines:
        return None
    sent = sent_of(b.sender[0])
    omin = min(num(r["origin_min"]) for r in lines)
    rlast = max(num(r["recv_last"]) for r in lines)
    got = [num(r["n"]) for r in lines] + [0] * (n - len(lines))
    span = rlast - omin
    rx_cpu = [num(x.get("cpu_ns", "0")) for x in b.summary]
    return {
        "rate": statistics.mean(got) * 1e9 / span if span > 0 else 0.0,
        "loss": max(0.0, 1 - sum(got) / (n * sent)) if sent else 1.0,
        "tx": num(b.sender[0].get("cpu_ns", "0")) / sent / 1000,
        "bridge": b.cpu.get("bridge_ns", 0) / sent / 1000,
        "rx": statistics.mean(rx_cpu) / sent / 1000 if rx_cpu else 0.0,
        # Per event it got: a receiver that drops most of a burst (libnl's
        # one message per recv) pays nothing for what it dropped.
        "rx_got": (statistics.mean(rx_cpu) / statistics.mean(got) / 1000
                   if rx_cpu and statistics.mean(got) else 0.0),
        "softirq": b.cpu.get("softirq_ns", 0) / sent / 1000,
        "overruns": num(b.bstats.get("overruns", "0")),
        "bytes": sum(num(r["bytes"]) for r in lines) / max(1, sum(got)),
        "n": n,
    }


def ladder(b):
    """The highest offered rate with nothing dropped, the queues drained
    at once, every receiver getting every event."""
    n = int(b.attrs["n"])
    best, pts = 0.0, []
    for st in b.steps:
        s = st.get("sender")
        if not s:
            continue
        emitted = sent_of(s)
        elapsed = num(s["elapsed_ns"])
        got = [num(r["n"]) for r in b.rx if r.get("tag") == st["tag"]]
        got += [0] * (n - len(got))
        drops, quiet = b.stepdrops.get(st["tag"], (1, False))
        offered = emitted * 1e9 / elapsed if elapsed else 0.0
        clean = drops == 0 and quiet and all(g == emitted for g in got)
        pts.append((offered, 0.0 if not emitted else
                    max(0.0, 1 - sum(got) / (n * emitted)), clean))
        if clean:
            best = max(best, offered)
    return best, sorted(pts)


def latency(b):
    """The worst receiver's percentiles (ms), of tag L."""
    lines = [r for r in b.rx if r.get("tag") == "L" and "p99" in r]
    if not lines:
        return None
    return {q: max(num(r[q]) for r in lines) / 1e6
            for q in ("p50", "p99", "p999")}


fr, fp = fmt_rate, fmt_pct


def label_of(kind, fmt, sizes, n=None):
    """A plot label: the path's name without its padding."""
    name = " ".join(name_of(kind, fmt, sizes).split(" (")[0].split())
    return f'"{name}{"" if n is None else f" N={n}"}"'


def name_of(kind, fmt, sizes):
    if kind == "D":
        return "D   netlink, libnl"
    if kind == "Dm":
        return "D'  netlink, recvmmsg"
    if kind == "B":
        return f"B   UDP {sizes.get(fmt, '?')} B ({fmt})"
    return f"E2E {fmt}"


def report(path, ir, datadir):
    """Returns (text lines, verdict list)."""
    info, loads, blocks = parse(path)
    bursts = defaultdict(list)
    ladders, lats = {}, {}
    filt = {}
    for b in blocks:
        a = b.attrs
        k = a["kind"]
        if k == "F":
            for s in b.summary:
                filt.setdefault(s.get("rx"), []).append(
                    (s, b.sender[0] if b.sender else {}, a))
            continue
        key = (k, a["fmt"], int(a["n"]))
        if a["phase"] == "burst":
            r = burst(b)
            if r:
                bursts[key].append(r)
        elif a["phase"] == "ladder":
            ladders[key] = ladder(b)
        elif a["phase"] == "lat":
            lats.setdefault((key, int(a["rate"])), []).append(latency(b))

    # Latency: each round's worst receiver, then the median of the rounds.
    for k, rs in list(lats.items()):
        rs = [r for r in rs if r]
        lats[k] = {q: median([r[q] for r in rs])
                   for q in ("p50", "p99", "p999")} if rs else None

    def med(key, field):
        return median([r[field] for r in bursts.get(key, [])])

    sizes = {}
    for f in ("json", "binary"):
        sizes[f] = med(("E", f, 1), "bytes")
        sizes[f] = round(sizes[f]) if sizes[f] else "?"
    ns = sorted({k[2] for k in bursts})
    L, verdicts = [], []
    p = L.append
    p("Native: this machine's own kernel, the bridge's whole userspace "
      "path at full speed")
    p(f"host: Linux {info.get('kernel', '?')}, {info.get('cores', '?')} "
      f"cores, {info.get('cpu', '?').replace('_', ' ')}; a private network "
      "namespace; rmem_max "
      f"{info.get('rmem_max', '?')}, netdev_max_backlog "
      f"{info.get('netdev_max_backlog', '?')}"
      + (" [QUICK RUN: tiny counts, numbers meaningless]"
         if info.get("quick") == "1" else ""))
    p("load average (1/5/15 min) during the run: " + ", ".join(
        f"{l.get('when')} {l.get('loadavg')}" for l in loads))
    p(f"events: 100-byte mcbridge-format netlink messages, multicast into "
      f"{info.get('source', '?')} by mcb-bench-emit --native; bridge datagrams "
      f"json {sizes['json']} B, binary {sizes['binary']} B")
    p(f"burst: {num(info.get('burst', '0')):,} events at the sender's full "
      f"rate, every receiver and the bridge with default buffers; ev/s per "
      f"receiver, median of {info.get('rounds', '?')} rounds.  zero-loss: "
      f"the highest paced rate ({info.get('step_s', '?')} s steps) with "
      "nothing dropped anywhere.")
    p("CPU us/event: sender (emitter, paying the kernel's fan-out; B: UDP "
      "sender) + bridge + N x receiver + ksoftirqd.  Latency (ms): origin "
      "-> receive, worst receiver, median of the rounds, at 1,000 and "
      "10,000 ev/s.")
    p("")
    hdr = (f"{'path':<24} {'N':>2} {'burst ev/s':>10} {'loss':>7} "
           f"{'zero-loss':>9} {'CPU us/ev':>9} {'(tx+bridge+N*rx+sirq)':<24}"
           f" {'1k p50/p99/p999':>17} {'10k p50/p99/p999':>17}")
    p(hdr)
    p("-" * len(hdr))
    for k, f in PATHS:
        for n in ns:
            key = (k, f, n)
            if key not in bursts:
                continue
            parts = [med(key, x) for x in ("tx", "bridge", "rx", "softirq")]
            cpu = parts[0] + parts[1] + n * parts[2] + parts[3]
            split = f"{parts[0]:.2f}+{parts[1]:.2f}+{n}x{parts[2]:.2f}+" \
                    f"{parts[3]:.2f}"
            zl = ladders.get(key, (None, []))[0]
            lat = []
            for rate in (1000, 10000):
                v = lats.get((key, rate))
                lat.append("-" if not v else
                           f"{v['p50']:.2f}/{v['p99']:.2f}/{v['p999']:.2f}")
            p(f"{name_of(k, f, sizes):<24} {n:>2} {fr(med(key, 'rate')):>10} "
              f"{fp(med(key, 'loss')):>7} {fr(zl):>9} {cpu:>9.2f} "
              f"{split:<24} {lat[0]:>17} {lat[1]:>17}")
    p("")
    p("Loss at offered rates (paced, default buffers; offered ev/s:loss, "
      "* = something dropped or the queues lagged):")
    for k, f in PATHS:
        for n in ns:
            if (k, f, n) in ladders:
                pts = " ".join(f"{o:,.0f}:{fp(l)}{'' if c else '*'}"
                               for o, l, c in ladders[(k, f, n)][1])
                p(f"  {name_of(k, f, sizes):<24} N={n:<2} {pts}")
    p("")

    p("Targets (native):")

    def target(ok, text):
        verdicts.append(ok)
        p(f"  [{'met' if ok else 'MISSED'}] {text}")

    for f in ("json", "binary"):
        for n in ns:
            e, d, bb = ("E", f, n), ("D", "-", n), ("B", f, n)
            eb, db, bbr = med(e, "rate"), med(d, "rate"), med(bb, "rate")
            ez, dz, bz = (ladders.get(x, (None,))[0] for x in (e, d, bb))
            if None in (eb, db, bbr) or not min(db, bbr):
                continue
            rb = eb / min(db, bbr)
            rz = ez / min(dz, bz) if ez is not None and dz and bz else None
            target(rb >= 0.9 and rz is not None and rz >= 0.9,
                   f"E2E({n}) {f} >= 0.9 x min(D, B): burst {fr(eb)} / "
                   f"{fr(min(db, bbr))} = {rb:.2f}, paced {fr(ez)} / "
                   f"{fr(min(dz or 0, bz or 0))} = "
                   f"{'-' if rz is None else f'{rz:.2f}'}")
    d1 = med(("D", "-", 1), "rx_got")
    for f in ("json", "binary"):
        for n in ns:
            br = med(("E", f, n), "bridge")
            if br is None or d1 is None:
                continue
            target(br <= d1, f"bridge CPU per event <= one direct libnl "
                   f"subscriber's (per event it got), {f} N={n}: "
                   f"{br:.2f} <= {d1:.2f} us")
    for f in ("json", "binary"):
        for n in ns:
            rs = bursts.get(("E", f, n))
            if not rs:
                continue
            worst = max(rs, key=lambda r: r["loss"])
            target(all(r["loss"] == 0 for r in rs),
                   f"a {num(info.get('burst', '0')):,}-event burst at full "
                   f"rate reaches {n} listener(s) with no loss, {f}, every "
                   f"round: worst loss {fp(worst['loss'])} (bridge "
                   f"overruns {worst['overruns']})")
    for f in ("json", "binary"):
        e = lats.get((("E", f, 1), 10000))
        d = lats.get((("D", "-", 1), 10000))
        u = lats.get((("B", f, 1), 10000))
        if e and d and u:
            added = e["p99"] - d["p99"]
            target(added <= 2 * u["p99"],
                   f"p99 added by the bridge at 10,000 ev/s, {f}: E2E(1) "
                   f"{e['p99']:.3f} - D(1) {d['p99']:.3f} = {added:.3f} ms "
                   f"<= 2 x UDP hop {u['p99']:.3f} = {2 * u['p99']:.3f} ms")
    for f, want in IR_TARGETS:
        k = ir_target_key(ir, f)
        if k in ir:
            target(ir[k] <= want,
                   f"instructions per event, {k}: {ir[k]:,.0f} <= {want:,}")
    if "kernel" in filt and "only" in filt:
        # Each figure the median of the rounds.
        def fmed(rx, f):
            return median([f(s, send) for s, send, _ in filt.get(rx, [])])

        def woken_of(s, send):
            return num(s["sleeps"]) / max(1, sent_of(send))

        def cpu_per(s, _):
            return num(s["cpu_ns"]) / max(1, num(s["delivered"])) / 1000

        _, ksend, ka = filt["kernel"][0]
        woken = fmed("kernel", woken_of)
        target(woken <= FILTER_WOKEN_MAX,
               f"kernel filter, 1 type in 4 at {fr(num(ka['rate']))}"
               f" ev/s: woken for {100 * woken:.0f}% of "
               f"{sent_of(ksend):,} datagrams <= 30% (without the filter "
               f"{100 * fmed('user', woken_of):.0f}%; median of "
               f"{len(filt['kernel'])} rounds)")
        per = fmed("kernel", cpu_per)
        base = fmed("only", cpu_per)
        per_user = fmed("user", cpu_per)
        target(per <= FILTER_CPU_SLACK * base,
               f"kernel filter: CPU per delivered event {per:.2f} us <= "
               f"{FILTER_CPU_SLACK:g} x {base:.2f} us (a stream of its type "
               f"only); userspace filtering {per_user:.2f} us")
    p("")

    with open(f"{datadir}/native-burst.dat", "w") as out:
        out.write("# path " + " ".join(f"N={n}" for n in NS) + "\n")
        for k, f in PATHS:
            vals = [med((k, f, n), "rate") for n in NS]
            out.write(label_of(k, f, sizes) + " " + " ".join(
                f"{v or 0:.0f}" for v in vals) + "\n")
    with open(f"{datadir}/native-zeroloss.dat", "w") as out:
        out.write("# path " + " ".join(f"N={n}" for n in NS) + "\n")
        for k, f in PATHS:
            vals = [ladders.get((k, f, n), (0,))[0] for n in NS]
            out.write(label_of(k, f, sizes) + " " + " ".join(
                f"{v or 0:.0f}" for v in vals) + "\n")
    with open(f"{datadir}/native-cpu.dat", "w") as out:
        out.write("# label tx bridge rx*N softirq (us/event)\n")
        for k, f in PATHS:
            for n in NS:
                key = (k, f, n)
                if key not in bursts:
                    continue
                out.write(f'{label_of(k, f, sizes, n)} {med(key, "tx"):.3f} '
                          f'{med(key, "bridge"):.3f} '
                          f'{n * med(key, "rx"):.3f} '
                          f'{med(key, "softirq"):.3f}\n')
    with open(f"{datadir}/native-latency.dat", "w") as out:
        out.write("# label p50 p99 p999 (ms) at 10,000 ev/s\n")
        for k, f in PATHS:
            for n in NS:
                v = lats.get(((k, f, n), 10000))
                if v:
                    out.write(f'{label_of(k, f, sizes, n)} {v["p50"]:.4f} '
                              f'{v["p99"]:.4f} '
                              f'{v["p999"]:.4f}\n')
    return L, verdicts
