#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A listener written with the Python standard library only, to show that
mcbridge JSON datagrams need nothing of ours: join the group on the
loopback interface, parse each datagram as JSON, print it back as one
line (sorted keys).  Prints "ready" on stderr once joined."""
import argparse
import json
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", default="225.0.0.1")
    ap.add_argument("--port", type=int, default=7788)
    ap.add_argument("--iface", default="127.0.0.1")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", a.port))
    # struct ip_mreq: the group first, then the local interface address.
    mreq = socket.inet_aton(a.group) + socket.inet_aton(a.iface)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    print("ready", file=sys.stderr, flush=True)

    deadline = time.monotonic() + a.timeout
    got = 0
    while a.count == 0 or got < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65535)
        except socket.timeout:
            break
        try:
            obj = json.loads(data.decode("utf-8"))
        except ValueError as e:
            print("pylisten: not JSON: %r (%s)" % (data[:80], e),
                  file=sys.stderr, flush=True)
            continue
        print(json.dumps(obj, sort_keys=True), flush=True)
        got += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
