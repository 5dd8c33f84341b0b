"""The raw benchmark records (bench/run.sh, guest-bench.sh, native.py),
read once for both reports (bench/report.py, bench/report_native.py) and
the native harness: KEY=VALUE words, numbers, blocks, medians, and the
formatting of rates and losses.

Records: "meta KEY=VALUE" (the run), "irrun ..." (callgrind), "info ..."
(a half's settings), "load ..." (native: the load average), then blocks
from "begin KEY=VALUE..." to "end" holding sender lines (emit, udpsend),
receiver lines (nlrecv, listen; "... summary ..." once per receiver),
"bstats" (the bridge's counters), "cpu" (native: CPU of the bridge and
ksoftirqd), "step" and "stepdrops" (ladders).
"""
import statistics
from collections import defaultdict


def kv(words):
    out = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    return out


def num(v):
    try:
        return int(v)
    except ValueError:
        return float(v)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_rate(x):
    return "-" if x is None else f"{x:,.0f}"


def fmt_pct(x):
    if x is None:
        return "-"
    return "0" if x == 0 else (f"{100 * x:.2f}%" if x >= 0.0001 else "<0.01%")


class Block:
    def __init__(self, attrs):
        self.attrs = attrs
        self.sender = []	# emit/udpsend lines, in order
        self.rx = []		# per-tag receiver lines (one per receiver)
        self.summary = []	# one per receiver
        self.bstats = []	# the bridge's counters
        self.cpu = {}		# native: bridge_ns, softirq_ns
        self.steps = []		# ladder: step records, with their sender
        self.stepdrops = {}	# ladder: tag -> (drops, quiet)

    def tag_lines(self, tag):
        return [r for r in self.rx if r.get("tag") == tag]


class Raw:
    def __init__(self):
        self.info, self.meta = {}, {}
        self.irruns = defaultdict(list)
        self.loads, self.blocks = [], []


def parse(path):
    raw, cur = Raw(), None
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "meta":
            k, _, v = line.rstrip("\n").split(" ", 1)[1].partition("=")
            raw.meta[k] = v
        elif w[0] == "irrun":
            r = kv(w[1:])
            raw.irruns[r["format"]].append((num(r["events"]), num(r["ir"])))
        elif w[0] == "info":
            raw.info = kv(w[1:])
        elif w[0] == "load":
            raw.loads.append(kv(w[1:]))
        elif w[0] == "begin":
            cur = Block(kv(w[1:]))
        elif w[0] == "end" and cur is not None:
            raw.blocks.append(cur)
            cur = None
        elif cur is None:
            continue
        elif w[0] in ("emit", "udpsend"):
            rec = kv(w[1:])
            cur.sender.append(rec)
            if cur.steps and cur.steps[-1].get("sender") is None and \
               rec.get("tag") == cur.steps[-1]["tag"]:
                cur.steps[-1]["sender"] = rec
        elif w[0] in ("nlrecv", "listen"):
            if len(w) > 1 and w[1] == "summary":
                cur.summary.append(kv(w[2:]))
            else:
                cur.rx.append(kv(w[1:]))
        elif w[0] == "bstats":
            cur.bstats.append(kv(w[1:]))
        elif w[0] == "cpu":
            cur.cpu = {k: num(v) for k, v in kv(w[1:]).items()}
        elif w[0] == "step":
            rec = kv(w[1:])
            rec["sender"] = None
            cur.steps.append(rec)
        elif w[0] == "stepdrops":
            rec = kv(w[1:])
            cur.stepdrops[rec["tag"]] = (num(rec["drops"]),
                                         rec.get("quiet") == "1")
    return raw
