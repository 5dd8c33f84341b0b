#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Forged but well-formed JSON datagrams whose strings, in fixed fields and
in nested attribute values and keys, hold invalid UTF-8, 0x9b (CSI), DEL,
C1 controls as UTF-8 and escaped C0 controls.

  hostile_json.py send PORT     send them to 225.0.0.1:PORT via 127.0.0.1
  hostile_json.py check FILE N  FILE has N lines, each valid UTF-8 JSON with
                                no raw control byte, and the texts survive
"""
import json
import socket
import sys

BAD = b"\x9b[2J\xff\xfe\xc2\x9b\xc2\x85\x7f\xc3\xa9\\u0007\\u001b\\u009b"
# What BAD decodes to, as the listener shows it: a byte that is not UTF-8
# as the code point of the same number, like the bridge's encoder.
BAD_TEXT = "\x9b[2J\xff\xfe\x9b\x85\x7f\xe9\x07\x1b\x9b"


def datagrams():
    head = (b'{"kind":"event","family":"%s","group":"events","bridge_seq":%d,'
            b'"bridge_time_ns":1,"cmd":"event","cmd_id":1,')
    yield (head % (b"mcbridge", 1) + b'"type":"injected","text":"' + BAD +
           b'","ifname":"e\x9b\xc2\x9b","module":"m\xff"}\n')
    nested = (b'[{"type":1,"len":4,"str":"' + BAD + b'"},'
              b'{"type":2,"len":4,"nested":[{"type":3,"len":1,"str":"\x9b"}]},'
              b'{"type":4,"len":1,"k\x9b\xc2\x85":"' + BAD + b'","u8":1}]')
    yield (head % (b"ot\x9bher", 2) + b'"attrs":[{"type":7,"len":40,"nested":' +
           nested + b'},{"type":8,"len":9,"str":"' + BAD + b'"}]}\n')
    yield (b'{"kind":"event","family":"f\xc2\x9b","group":"g\x1b",'
           b'"bridge_seq":3,"bridge_time_ns":1,"cmd":"c\x9b\xc2\x9b\x7f",'
           b'"cmd_id":1}\n').replace(b"\x1b", b"\\u001b")


def send(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton("127.0.0.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    for d in datagrams():
        s.sendto(d, ("225.0.0.1", port))


def check(path, n):
    lines = open(path, "rb").read().split(b"\n")
    assert lines[-1] == b"", "no final newline"
    lines = lines[:-1]
    assert len(lines) == n, "%d lines, not %d" % (len(lines), n)
    objs = []
    for raw in lines:
        for b in raw:
            assert b >= 0x20 and b != 0x7f, "raw byte 0x%02x in %r" % (b, raw)
        text = raw.decode("utf-8")   # strict: fails on invalid UTF-8
        for ch in text:
            assert not 0x80 <= ord(ch) < 0xa0, "raw C1 U+%04X in %r" % (ord(ch), raw)
        objs.append(json.loads(text))
    a, b, c = objs
    assert a["text"] == BAD_TEXT, a["text"]
    assert a["ifname"] == "e\x9b\x9b" and a["module"] == "m\xff", a
    attrs = b["attrs"]
    assert b["family"] == "ot\x9bher", b
    assert attrs[0]["nested"][0]["str"] == BAD_TEXT, attrs[0]
    assert attrs[0]["nested"][1]["nested"][0]["str"] == "\x9b", attrs[0]
    assert attrs[0]["nested"][2]["k\x9b\x85"] == BAD_TEXT, attrs[0]
    assert attrs[1]["str"] == BAD_TEXT, attrs[1]
    assert c["family"] == "f\x9b" and c["group"] == "g\x1b", c
    assert c["cmd"] == "c\x9b\x9b\x7f", c


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(int(sys.argv[2]))
    else:
        try:
            check(sys.argv[2], int(sys.argv[3]))
        except (AssertionError, UnicodeDecodeError, ValueError) as e:
            print("    %s: %s" % (type(e).__name__, e))
            sys.exit(1)
