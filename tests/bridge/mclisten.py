#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Multicast listener for the bridge VM tests (JSON wire format).

Joins GROUP on 127.0.0.1, prints "listening port=N" on stdout once joined,
then collects datagrams until an injected event whose text is --until
arrives (or --timeout seconds pass without a datagram).  Datagrams are only
stored while receiving, and parsed afterwards, so a burst is not slowed by
JSON parsing.  Prints one JSON summary object on stdout:

  datagrams, events, texts {text: count}, kinds {kind: count},
  bseq_gaps / bseq_back (bridge_seq not +1 / going back = bridge restart),
  kseq_gaps / kseq_back (kernel seq of mcbridge events, same),
  lost [counts], overruns, first_kseq_after_back [..], bad (unparsable),
  elapsed_s (first to last datagram), until_seen
With --dump FILE every datagram is also written there (JSON lines).
"""
import argparse
import json
import select
import socket
import sys
import time


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
            "first_kseq_after_back": [], "until_seen": until_seen,
            "elapsed_s": (t1 - t0) if t0 is not None else 0.0}
    pb = pk = None
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
        if pb is not None:
            if b <= pb:
                summ["bseq_back"] += 1
                pk = None  # a new bridge: new kernel seq baseline
            elif b != pb + 1:
                summ["bseq_gaps"] += 1
        pb = b
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
        if pk is not None:
            if ks <= pk:
                summ["kseq_back"] += 1
                summ["first_kseq_after_back"].append(ks)
            elif ks != pk + 1:
                summ["kseq_gaps"] += 1
        pk = ks
    print(json.dumps(summ), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
