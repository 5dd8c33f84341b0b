#!/usr/bin/env python3
"""Turn the raw benchmark records into the tables, the target verdicts and
the data files of the plots.

  bench/report.py RAW OUTDIR DATADIR [NATIVE_RAW]

RAW (bench/run.sh puts it together): "meta KEY=VALUE..." lines about the
run (date, host), the callgrind totals ("irrun format=F events=N
ir=TOTAL"), then the guest's records (bench/guest-bench.sh).  Writes
OUTDIR/results.txt (also printed) and the DATADIR/*.dat files that
bench/plot.gp draws.  With NATIVE_RAW (bench/native.py's records), the
native table and its targets follow (bench/report_native.py), and the data
of bench/plot-native.gp.

Rates: events / (last receive - first origin time).  A, B and the E2E
bursts are medians over the rounds; ratios to min(A, B) are taken per round
(measurements minutes apart), then the median.
"""
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_native  # noqa: E402
from rawrec import (fmt_pct, fmt_rate, kv, median, num,  # noqa: E402,F401
                    parse)


def parse_raw(path):
    raw = parse(path)
    return raw.info, raw.meta, raw.irruns, raw.blocks


def burst(block, tag):
    """Delivered rate per receiver, loss, and CPU per event of a burst."""
    lines = block.tag_lines(tag)
    s = block.sender[0]
    sent = num(s.get("emitted", s.get("sent", "0")))
    if not lines or not sent:
        return None
    omin = min(num(r["origin_min"]) for r in lines)
    rlast = max(num(r["recv_last"]) for r in lines)
    got = [num(r["n"]) for r in lines]
    span = rlast - omin
    rate = statistics.mean(got) * 1e9 / span if span > 0 else 0.0
    loss = 1 - sum(got) / (len(got) * sent)
    cpu_rx = sum(num(x.get("cpu_ns", "0")) for x in block.summary) / sent
    cpu_tx = num(s.get("cpu_ns", "0")) / sent
    cpu_bridge = 0.0
    for b in block.bstats:
        if b.get("tag") == tag and "cpu_ticks" in b:
            cpu_bridge = num(b["cpu_ticks"]) * 1e7 / sent
    bytes_ = sum(num(r["bytes"]) for r in lines) / max(1, sum(got))
    return {"rate": rate, "loss": loss, "n": len(got), "sent": sent,
            "cpu_us": (cpu_tx + cpu_bridge + cpu_rx) / 1000,
            "cpu_tx_us": cpu_tx / 1000, "cpu_bridge_us": cpu_bridge / 1000,
            "cpu_rx_us": cpu_rx / 1000 / max(1, len(got)), "bytes": bytes_}


def ladder(block):
    """Per step: requested and achieved offered rate, loss at listeners."""
    out = []
    for st in block.steps:
        s = st.get("sender")
        lines = block.tag_lines(st["tag"])
        if not s:
            continue
        emitted = num(s["emitted"])
        elapsed = num(s["elapsed_ns"])
        got = [num(r["n"]) for r in lines]
        nrx = max(len(got), 1)
        n_listeners = int(block.attrs["n"])
        # A listener that got nothing of a step has no line for it.
        got += [0] * (n_listeners - len(got))
        loss = 1 - sum(got) / (n_listeners * emitted) if emitted else 0.0
        # Kept up: the last event arrived within 10% of the step's length
        # (at least 50 ms: scheduling noise) after it was sent, so the
        # queues did not grow (buffers absorb a short overload unharmed).
        lag = 0.0
        if lines:
            lag = (max(num(r["recv_last"]) for r in lines)
                   - min(num(r["origin_min"]) for r in lines) - elapsed)
        out.append({"tag": st["tag"], "milli": st["milli"],
                    "offered": emitted * 1e9 / elapsed if elapsed else 0.0,
                    "emitted": emitted, "loss": max(loss, 0.0),
                    "lag_ms": lag / 1e6,
                    "kept_up": lag <= max(0.1 * elapsed, 50e6),
                    "receivers": nrx})
    return out


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write("usage: report.py RAW OUTDIR DATADIR [NATIVE_RAW]\n")
        return 2
    raw, outdir, datadir = sys.argv[1:4]
    native = sys.argv[4] if len(sys.argv) == 5 else None
    info, meta, irruns, blocks = parse_raw(raw)

    rounds = defaultdict(dict)	# round -> key -> burst result
    ladders, latr, sizes = {}, defaultdict(list), {}
    for b in blocks:
        a = b.attrs
        kind = a.get("kind")
        if kind == "A":
            rounds[a["round"]]["A-" + a["variant"]] = burst(b, "A")
        elif kind == "B":
            rounds[a["round"]]["B-" + a["fmt"]] = burst(b, "B")
            sizes["B-" + a["fmt"]] = int(a["size"])
        elif kind == "E2E" and a["phase"] == "burst":
            r = burst(b, "E")
            rounds[a["round"]][f"E-{a['fmt']}-{a['n']}"] = r
            if r:
                sizes[a["fmt"]] = round(r["bytes"])
        elif kind == "E2E" and a["phase"] == "ladder":
            ladders[(a["fmt"], int(a["n"]))] = (num(a["max"]), ladder(b))
        elif kind == "LAT":
            lines = b.tag_lines("L")
            if lines:
                latr[a["path"]].append(lines[0])

    # Latency: the median over rounds of each percentile.
    lat = {}
    for path, rs in latr.items():
        lat[path] = {k: median([num(r[k]) / 1e6 for r in rs])
                     for k in ("p50", "p99", "p999")}
        lat[path]["max"] = max(num(r["max"]) / 1e6 for r in rs)
        lat[path]["n"] = sum(num(r["n"]) for r in rs)

    def med(key, field="rate"):
        return median([r[key][field] for r in rounds.values()
                       if r.get(key)])

    def ratio_med(key, fmt):
        vals = []
        for r in rounds.values():
            if r.get(key) and r.get("A-libnl") and r.get("B-" + fmt):
                lim = min(r["A-libnl"]["rate"], r["B-" + fmt]["rate"])
                if lim > 0:
                    vals.append(r[key]["rate"] / lim)
        return median(vals)

    ns = sorted({int(k.split("-")[2]) for r in rounds.values() for k in r
                 if k.startswith("E-")})
    A = med("A-libnl")
    B = {f: med("B-" + f) for f in ("json", "binary")}
    lim = {f: min(A, B[f]) if A and B[f] else None for f in B}

    zero_loss = {}
    for (f, n), (mx, steps) in ladders.items():
        clean = [s["offered"] for s in steps
                 if s["loss"] == 0 and s["kept_up"]]
        zero_loss[(f, n)] = max(clean) if clean else 0.0

    L = []
    p = L.append
    p(f"mcbridge benchmarks, {meta.get('date', '?')}")
    p(f"host: {meta.get('host_cpu', '?')}, {meta.get('host_cores', '?')} cores, "
      f"Linux {meta.get('host_kernel', '?')}")
    p(f"guest: Linux {info.get('guest_kernel', '?')} under QEMU TCG "
      f"(no KVM), {info.get('vcpus', '?')} vCPUs, "
      f"netdev_max_backlog {info.get('netdev_max_backlog', '?')}")
    p(f"events: 100-byte netlink messages (32-byte text); bridge datagrams: "
      f"json {sizes.get('json', '?')} B, binary {sizes.get('binary', '?')} B; "
      f"{info.get('rounds', '?')} rounds"
      + (" [QUICK RUN: tiny counts, numbers meaningless]"
         if info.get("quick") == "1" else ""))
    p("")
    p("Throughput.  max: a burst into big buffers, events / (last receive -"
      " first kernel/send time),")
    p("per listener, median of the rounds; loss: in that burst.  zero-loss: "
      "the highest paced offered")
    p("rate (default buffers) with no loss that it kept up with.  /lim: "
      "ratio to min(A, B of that")
    p("size), per round then median.  CPU us/ev: guest CPU per event in the "
      "burst, split as")
    p("emitter (kernel building the events) or UDP sender + bridge + N x "
      "each receiver.")
    if info.get("linger_us", "0") != "0":
        p(f"B and E2E receivers read in batches, pausing "
          f"{info['linger_us']} us after a partial batch; A reads as a libnl "
          "application does.")
    p("")
    hdr = (f"{'path':<26} {'max ev/s':>9} {'loss':>7} {'zero-loss':>10} "
           f"{'max/lim':>7} {'0loss/lim':>9} {'CPU us/ev':>9}  "
           f"{'(send+bridge+N*rx)':<18}")
    p(hdr)
    p("-" * len(hdr))

    def row(name, key, f=None, n=None):
        r = med(key)
        loss = med(key, "loss")
        cpu = med(key, "cpu_us")
        parts = [med(key, "cpu_tx_us"), med(key, "cpu_bridge_us"),
                 med(key, "cpu_rx_us")]
        zl = zero_loss.get((f, n)) if f else None
        rr = ratio_med(key, f) if f else None
        zr = zl / lim[f] if f and zl is not None and lim[f] else None
        split = "-"
        # E2E rows have a bridge, whose CPU may round to 0 ticks in a short
        # run; A and B rows have none.
        if cpu is not None:
            split = (f"{parts[0]:.0f}+{parts[1]:.0f}+{n or 1}x{parts[2]:.0f}"
                     if f else f"{parts[0]:.0f}+{parts[2]:.0f}")
        p(f"{name:<26} {fmt_rate(r):>9} {fmt_pct(loss):>7} "
          f"{fmt_rate(zl) if f else '':>10} "
          f"{'' if rr is None else f'{rr:.2f}':>7} "
          f"{'' if zr is None else f'{zr:.2f}':>9} "
          f"{'-' if cpu is None else f'{cpu:.0f}':>9}  {split:<18}")

    row("A  netlink, libnl", "A-libnl")
    row("A' netlink, recvmmsg", "A-mmsg")
    row("A0 netlink, history=0", "A-nohist")
    for f in ("json", "binary"):
        row(f"B  UDP {sizes.get('B-' + f, '?')} B ({f} size)", "B-" + f)
    for f in ("json", "binary"):
        for n in ns:
            row(f"E2E {f:<6} N={n}", f"E-{f}-{n}", f, n)
    p("")
    # The module's history when nobody reads it: A with the default
    # history against A with history=0, per round (minutes apart at most).
    hist = [(r["A-libnl"], r["A-nohist"]) for r in rounds.values()
            if r.get("A-libnl") and r.get("A-nohist")]
    if hist:
        rate = median([on["rate"] / off["rate"] for on, off in hist
                       if off["rate"]])
        tx_on = median([on.get("cpu_tx_us") for on, _ in hist])
        tx_off = median([off.get("cpu_tx_us") for _, off in hist])
        p("History cost (A with the default history against A0, "
          "history=0; median of the rounds):")
        p(f"  rate A/A0 {rate:.2f}; emitter CPU per event "
          + ("-" if tx_on is None or tx_off is None else
             f"{tx_on:.2f} us on, {tx_off:.2f} us off "
             f"({tx_on - tx_off:+.2f} us)"))
        p("")
    # What the CPU allows: all work shared perfectly by the vCPUs, and the
    # one thread that does a path's serial part (UDP sender or bridge).
    vcpus = num(info.get("vcpus", "0"))
    p(f"CPU ceiling of each burst: {vcpus:g} vCPUs / (CPU us per event), and "
      "1 / (CPU us per event) of its")
    p("one serial thread (B: the sender; E2E: the bridge); max as a share of "
      "the lower of the two:")
    for f in ("json", "binary"):
        for key, name in [("B-" + f, f"B   {f}")] + [
                (f"E-{f}-{n}", f"E2E {f} N={n}") for n in ns]:
            r, cpu = med(key), med(key, "cpu_us")
            serial = med(key, "cpu_bridge_us" if key[0] == "E" else
                         "cpu_tx_us")
            if not r or not cpu or not serial or not vcpus:
                continue
            all_cpus, thread = vcpus * 1e6 / cpu, 1e6 / serial
            p(f"  {name:<18} {fmt_rate(all_cpus):>9} (all vCPUs) "
              f"{fmt_rate(thread):>9} (thread)  max {fmt_rate(r):>9} = "
              f"{r / min(all_cpus, thread):.2f}")
    p("")
    p(f"Loss at offered rates (paced EMIT for {info.get('step_s', '?')} s "
      "per step, default buffers;")
    p("offered ev/s:loss at the listeners, + = the queues grew "
      "(last event >10% of the step late):")
    for (f, n) in sorted(ladders, key=lambda k: (k[0] != "json", k[1])):
        mx, steps = ladders[(f, n)]
        pts = " ".join(f"{s['offered']:,.0f}:{fmt_pct(s['loss'])}"
                       f"{'' if s['kept_up'] else '+'}"
                       for s in sorted(steps, key=lambda s: s["offered"]))
        p(f"  {f:<6} N={n:<2} {pts}")
    p("")
    p(f"Latency, kernel timestamp -> receive (ms), {info.get('lat_rate', '?')} "
      f"events/s, {info.get('lat_rounds', '?')} rounds of "
      f"{num(info.get('lat_ms', '0')) / 1000:g} s per path; "
      "median of the rounds' percentiles:")
    p(f"  {'path':<22} {'p50':>7} {'p99':>7} {'p999':>7} {'max':>7} {'n':>6}")
    names = {"direct": "direct netlink", "json": "bridge json",
             "binary": "bridge binary",
             "udp-json": f"UDP hop {sizes.get('B-json', '?')} B",
             "udp-binary": f"UDP hop {sizes.get('B-binary', '?')} B"}
    for k in ("direct", "json", "binary", "udp-json", "udp-binary"):
        if k in lat:
            v = lat[k]
            p(f"  {names[k]:<22} {v['p50']:7.2f} {v['p99']:7.2f} "
              f"{v['p999']:7.2f} {v['max']:7.2f} {v['n']:6}")
    p("")
    ir = {}
    p("Instructions per event, bridge userspace path (callgrind, "
      "host, exact):")
    # f/history: with a full history (the bridge's default keeps one).
    for f in ("binary", "json", "binary/history", "json/history"):
        runs = sorted(irruns.get(f, []))
        if len(runs) >= 2:
            (n0, i0), (n1, i1) = runs[0], runs[-1]
            ir[f] = (i1 - i0) / (n1 - n0)
            p(f"  {f:<6} ({i1:,} - {i0:,}) Ir / ({n1:,} - {n0:,}) events "
              f"= {ir[f]:,.1f} Ir/event")
    p("")

    p("Targets (VM):")
    verdicts = []

    def target(ok, text):
        verdicts.append(ok)
        p(f"  [{'met' if ok else 'MISSED'}] {text}")

    # Two zero-loss rates: the burst into big buffers (measured like A and
    # B) and the paced one with default buffers; met only if both are.
    for f in ("json", "binary"):
        for n, want in ((1, 0.9), (4, 0.7)):
            zl = zero_loss.get((f, n))
            burst_rate = med(f"E-{f}-{n}")
            if zl is None or not burst_rate or not lim[f]:
                continue
            rb, rp = burst_rate / lim[f], zl / lim[f]
            target(rb >= want and rp >= want,
                   f"E2E({n}) {f} >= {want} x min(A,B) = {lim[f]:,.0f}: "
                   f"burst {burst_rate:,.0f} = {rb:.2f}, paced {zl:,.0f} "
                   f"= {rp:.2f}")
    for (f, n), (mx, steps) in sorted(ladders.items()):
        half = [s for s in steps if s["milli"] == "500"]
        if half:
            s = half[0]
            target(s["loss"] == 0, f"zero loss at 50% of max, {f} N={n}: "
                   f"{s['offered']:,.0f} ev/s, loss {fmt_pct(s['loss'])}")
    for f in ("json", "binary"):
        if f in lat and "direct" in lat and "udp-" + f in lat:
            bound = lat["direct"]["p99"] + 1.5 * lat["udp-" + f]["p99"]
            target(lat[f]["p99"] <= bound,
                   f"bridge {f} p99 {lat[f]['p99']:.2f} ms <= direct p99 + "
                   f"1.5 x UDP hop p99 = {bound:.2f} ms")
    if not native:
        for f, want in report_native.IR_TARGETS:
            k = report_native.ir_target_key(ir, f)
            if k in ir:
                target(ir[k] <= want, f"{k} {ir[k]:,.0f} Ir/event <= {want:,}")
    p("")
    if native:
        nl, nv = report_native.report(native, ir, datadir)
        L += nl
        verdicts += nv
    text = "\n".join(L) + "\n"
    sys.stdout.write(text)
    with open(f"{outdir}/results.txt", "w") as out:
        out.write(text)

    # Plot data.
    with open(f"{datadir}/throughput.dat", "w") as out:
        out.write("# label max/lim zero-loss/lim\n")
        for f in ("json", "binary"):
            for n in ns:
                rr = ratio_med(f"E-{f}-{n}", f)
                zl = zero_loss.get((f, n))
                zr = zl / lim[f] if zl is not None and lim[f] else 0
                out.write(f'"{f} N={n}" {rr or 0:.4f} {zr:.4f}\n')
    for (f, n), (mx, steps) in ladders.items():
        with open(f"{datadir}/loss-{f}-{n}.dat", "w") as out:
            out.write("# offered_ev_s loss_percent\n")
            for s in sorted(steps, key=lambda s: s["offered"]):
                out.write(f"{s['offered']:.0f} {100 * s['loss']:.4f}\n")
    with open(f"{datadir}/latency.dat", "w") as out:
        out.write("# label p50 p99 p999 (ms)\n")
        for k in ("direct", "json", "binary", "udp-json", "udp-binary"):
            if k in lat:
                out.write(f'"{names[k]}" {lat[k]["p50"]:.4f} '
                          f'{lat[k]["p99"]:.4f} {lat[k]["p999"]:.4f}\n')
    with open(f"{datadir}/ir.dat", "w") as out:
        out.write("# format ir_per_event target\n")
        for f, want in report_native.IR_TARGETS:
            if f in ir:
                out.write(f'"{f}" {ir[f]:.1f} {want}\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
