#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Multicast listener for the bridge VM tests (JSON wire format).

Joins GROUP on 127.0.0.1, prints "listening port=N" on stdout once joined,
then collects datagrams until an injected event whose text is --until
arrives (or --timeout seconds pass without a datagram).  Datagrams are only
stored while receiving, and parsed afterwards, so a burst is not slowed by
JSON parsing.  Prints one JSON summary object on stdout:

  datagrams, events, texts {text: count}, kinds {kind: count},
  bseq_gaps / bseq_back / bseq_late (bridge_seq: holes never filled, runs
  of missing seqs / a new bridge run: the seq went back with a later
  bridge_time_ns / a hole filled late: reordered on the way, not lost),
  bseq_dup / kseq_dup (a seq seen twice in one run),
  kseq_gaps / kseq_back / kseq_late (kernel seq of mcbridge events, the
  same with timestamp_ns; a new bridge run also starts a new baseline),
  lost [counts], overruns, first_kseq_after_back [..], bad (unparsable),
  tails (idle markers of the bridge: counted apart, never stored),
  elapsed_s (first to last datagram), until_seen
With --dump FILE every datagram is also written there (JSON lines).
"""
import argparse
import json
import select
import socket
import sys
import time


class Seqs:
    """One sequence number stream, in runs.  Within a run seq and time grow
    together, so a seq at or below the highest seen with a later time than
    any seen starts a new run ("back"); with an earlier time it is a
    reordered datagram filling its hole ("late"), or a duplicate ("dup").
    A run's gaps are the runs of seqs still missing when it ends."""

    def __init__(self, summ, name):
        self.summ, self.name = summ, name
        self.seen = None

    def add(self, seq, time_ns):
        """Adds seq; True when it starts a new run after another."""
        back = False
        if self.seen is not None and seq <= self.top:
            if time_ns > self.time:
                self.end()
                self.summ[self.name + "_back"] += 1
                back = True
            elif seq in self.seen:
                self.summ[self.name + "_dup"] += 1
                return False
            else:
                self.summ[self.name + "_late"] += 1
        if self.seen is None:
            self.seen, self.top, self.time = set(), seq, time_ns
        self.seen.add(seq)
        self.top = max(self.top, seq)
        self.time = max(self.time, time_ns)
        return back

    def end(self):
        if self.seen:
            holes, prev = 0, None
            for q in sorted(self.seen):
                if prev is not None and q != prev + 1:
                    holes += 1
                prev = q
            self.summ[self.name + "_gaps"] += holes
        self.seen = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", default="225.0.0.1")
    ap.add_argument("--port", type=int, default=7788)
    ap.add_argument("--until", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--rcvbuf", type=int, default=256 << 20)
    ap.add_argument("--dump", help="also write every datagram to this file")
    a = ap.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:  # SO_RCVBUFFORCE (root): a 100k burst must not overflow us
        s.setsockopt(socket.SOL_SOCKET, 33, a.rcvbuf)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.bind((a.group, a.port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(a.group) + socket.inet_aton("127.0.0.1"))
    print("listening port=%d" % s.getsockname()[1], flush=True)

    marker = ('"text":%s' % json.dumps(a.until)).encode()
    got = []
    tails = 0
    t0 = t1 = None
    until_seen = False
    while True:
        r, _, _ = select.select([s], [], [], a.timeout)
        if not r:
            break
        # Drain without blocking: many datagrams per select.
        while True:
            try:
                d = s.recv(70000, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            # An idle bridge's tail repeats the last bridge_seq: counted,
            # not kept with the events and notices.
            if d.startswith(b'{"kind":"tail"'):
                tails += 1
                continue
            t1 = time.monotonic()
            if t0 is None:
                t0 = t1
            got.append(d)
            if marker in d and b'"type":"injected"' in d:
                until_seen = True
        if until_seen:
            break

    if a.dump:
        with open(a.dump, "wb") as f:
            f.writelines(got)
    summ = {"datagrams": len(got), "events": 0, "texts": {}, "kinds": {},
            "bseq_gaps": 0, "bseq_back": 0, "kseq_gaps": 0, "kseq_back": 0,
            "lost": [], "overruns": 0, "bad": 0, "first_bseq": None,
            "tails": tails,
            "first_kseq_after_back": [], "until_seen": until_seen,
            "elapsed_s": (t1 - t0) if t0 is not None else 0.0}
    for n in ("bseq", "kseq"):
        summ[n + "_late"] = summ[n + "_dup"] = 0
    bseq, kseq = Seqs(summ, "bseq"), Seqs(summ, "kseq")
    for d in got:
        try:
            e = json.loads(d)
        except ValueError:
            summ["bad"] += 1
            continue
        k = e.get("kind")
        summ["kinds"][k] = summ["kinds"].get(k, 0) + 1
        b = e.get("bridge_seq")
        if summ["first_bseq"] is None:
            summ["first_bseq"] = b
        if bseq.add(b, e.get("bridge_time_ns", 0)):
            kseq.end()  # a new bridge: new kernel seq baseline
        if k == "lost":
            summ["lost"].append(e.get("count"))
        elif k == "overrun":
            summ["overruns"] += 1
        if k != "event":
            continue
        summ["events"] += 1
        t = e.get("text")
        if t is not None:
            summ["texts"][t] = summ["texts"].get(t, 0) + 1
        ks = e.get("seq")
        if ks is None:
            continue
        if kseq.add(ks, e.get("timestamp_ns", 0)):
            summ["first_kseq_after_back"].append(ks)
    bseq.end()
    kseq.end()
    print(json.dumps(summ), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
