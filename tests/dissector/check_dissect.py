#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Dissects a capture of tests/dissector/capture.py with the Lua dissector
(tshark -X lua_script:) and checks that every datagram reads as the bridge
sent it:

  check_dissect.py --lua wireshark/mcbridge.lua DIR

The references, none of them the dissector: the capture's bytes, parsed
here (header by struct, HMAC recomputed under the key); what the mapping's
mcbridge-listen printed for the same datagram (libmcbridge-client's
decoding); kmod/mcbridge.yaml for attribute names and enum values; the
manifest (which mappings are signed, what each bridge sent).  Checks:
every datagram dissected, none more (GSO runs split); header fields; the
listener's fields; attributes by name (mcbridge) or typed (others); the
JSON dissector's tree against the object; the authentication trailer and
its flag; notices and truncation flagged; the heuristic on a port of its
own, and the port preference; tshark -V without a Lua error.  Prints
"ok"/"FAIL" lines; exit status 1 if any failed.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import re
import struct
import subprocess
import sys

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAGIC = 0x4D434252
HDR = struct.Struct(">IBBHHBBIII5Q16s16s")
F_TRUNCATED, F_KERNEL_SEQ, F_KERNEL_TIME, F_ATTR_BE, F_AUTH, F_RUN = 1, 2, 4, 8, 0x10, 0x20
KINDS = {"event": 1, "overrun": 2, "lost": 3}
# The listener's keys that are not attributes of the family.
HEADER_KEYS = {"kind", "family", "group", "cmd", "cmd_id", "bridge_seq",
               "bridge_time_ns", "bridge_run", "truncated", "attrs", "count",
               "kernel_seq"}

results = {"ok": 0, "fail": 0}


def check(name, problems, total=None):
    """One check over many datagrams: problems is the list of what failed."""
    if total is not None:
        name += " (%d datagrams)" % total
    if problems:
        results["fail"] += 1
        print("FAIL %s: %d problem(s)" % (name, len(problems)))
        for p in problems[:8]:
            print("     | " + str(p)[:600])
    else:
        results["ok"] += 1
        print("ok " + name)
    sys.stdout.flush()


# ---- the capture, read here -------------------------------------------------

def read_pcap(path):
    """[(frame number, dst ip, dst port, payload)] of a pcap of lo."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    if linktype != 1:
        raise ValueError("link type %d, expected Ethernet (lo)" % linktype)
    out, pos, n = [], 24, 0
    while pos + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(end + "IIII", data, pos)
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        n += 1
        if incl != orig:
            raise ValueError("frame %d cut by the snap length" % n)
        if struct.unpack_from(">H", frame, 12)[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        dst = ".".join(str(b) for b in ip[16:20])
        port = struct.unpack_from(">H", ip, ihl + 2)[0]
        out.append((n, dst, port, ip[ihl + 8:]))
    return out


def split(payload):
    """The datagrams of a payload: one, or a GSO run of several, each as
    long as it says (binary) or up to its newline (JSON)."""
    out, pos = [], 0
    while pos < len(payload):
        rest = payload[pos:]
        if rest[:4] == b"MCBR" and len(rest) >= HDR.size:
            h = HDR.unpack_from(rest)
            n = h[3] + h[7] + (40 if h[4] & F_AUTH else 0)
        else:
            n = rest.find(b"\n") + 1 or len(rest)
        out.append(rest[:n])
        pos += n
    return out


def parse_header(d):
    (magic, version, kind, hdr_len, flags, cmd, gver, attr_len, orig_len, run,
     bseq, btime, kseq, ktime, count, fam, grp) = HDR.unpack_from(d)
    return {"magic": magic, "version": version, "kind": kind, "hdr_len": hdr_len,
            "flags": flags, "cmd": cmd, "genl_version": gver, "attr_len": attr_len,
            "orig_len": orig_len, "run": run, "bridge_seq": bseq, "bridge_time_ns": btime,
            "kernel_seq": kseq, "kernel_time_ns": ktime, "count": count,
            "family": fam.rstrip(b"\0").decode(), "group": grp.rstrip(b"\0").decode()}


def nla_top(buf, be):
    """(type with flags, length) of each top-level attribute."""
    out, pos = [], 0
    e = ">" if be else "<"
    while pos + 4 <= len(buf):
        n, t = struct.unpack_from(e + "HH", buf, pos)
        if n < 4:
            break
        out.append((t, n))
        pos += (n + 3) & ~3
    return out


def mac_ok(d, key, fmt):
    """The datagram's epoch and MAC, and whether the MAC is right."""
    if fmt == "binary":
        h = parse_header(d)
        off = h["hdr_len"] + h["attr_len"]
        epoch, mac = struct.unpack_from(">Q", d, off)[0], d[off + 8:off + 40]
        want = hmac.new(key, d[:off + 8], hashlib.sha256).digest()
    else:
        cut = d.rfind(b',"hmac":"')
        obj = json.loads(d)
        epoch, mac = int(obj["epoch"], 16), bytes.fromhex(obj["hmac"])
        want = hmac.new(key, d[:cut], hashlib.sha256).digest()
    return epoch, mac, hmac.compare_digest(want, mac)


def read_key(path):
    raw = open(path, "rb").read().strip()
    try:
        return bytes.fromhex(raw.decode())
    except ValueError:
        return raw


# ---- tshark's view ----------------------------------------------------------

def pairs(x):
    return isinstance(x, list) and all(isinstance(p, tuple) for p in x)


def tree_items(node):
    """(key, value, subtree) of a tshark -T json node: a field's subtree is
    its value (FT_NONE) or the FIELD_tree that follows it."""
    out = []
    for k, v in node:
        if k.endswith("_tree") and out and out[-1][0] == k[:-5]:
            out[-1] = (out[-1][0], out[-1][1], v)
        elif pairs(v):
            out.append((k, None, v))
        else:
            out.append((k, v, None))
    return out


def tshark(pcap, lua, *args, raw=False):
    cmd = ["tshark", "-n", "-r", pcap, "-X", "lua_script:" + lua, *args]
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    if r.returncode:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                 r.stderr.decode(errors="replace")[-2000:]))
    if raw:
        return r.stdout
    # Wireshark cuts long labels anywhere, even inside a character.
    return r.stdout.decode(errors="replace")


def dissected(pcap, lua):
    """{frame number: [(mcbridge layer, json layer or None)]}."""
    frames = json.loads(tshark(pcap, lua, "-T", "json"), object_pairs_hook=lambda p: p)
    out = {}
    for pkt in frames:
        layers = dict(dict(pkt)["_source"])["layers"]
        num = int(dict(dict(layers)["frame"])["frame.number"])
        got = []
        for k, v in layers:
            if k == "mcbridge":
                got.append([v, None])
            elif k == "json" and got:
                got[-1][1] = v
        out[num] = got
    return out


def value(v):
    """A tshark field value as a Python one."""
    if v is None:
        return None
    if v.startswith("0x"):
        return int(v, 16)
    return int(v) if v.isdigit() else v


class Dissected:
    """One datagram as the dissector showed it."""

    def __init__(self, layer):
        self.fields, self.flags, self.auth, self.nlas = {}, {}, {}, []
        self.experts = []
        self.attrs = {}         # mcbridge.attr.* by name, top level
        for k, v, sub in tree_items(layer):
            if k == "mcbridge.flags":
                self.fields[k] = v
                self.flags = {kk: vv for kk, vv, _ in tree_items(sub or [])}
            elif k == "mcbridge.auth":
                self.auth = {kk: vv for kk, vv, _ in tree_items(sub)}
            elif k == "mcbridge.attrs":
                self.nlas = [self.nla(s) for kk, _, s in tree_items(sub) if kk == "mcbridge.nla"]
            elif k == "_ws.expert":
                self.experts += [kk for kk, _, _ in tree_items(sub)
                                 if not kk.startswith("_ws.")]
            elif k.startswith("mcbridge.attr."):
                self.attrs[k[len("mcbridge.attr."):]] = v
            else:
                self.fields[k] = v
        for n in self.nlas:
            self.attrs.update(n["attrs"])

    def nla(self, node):
        n = {"children": [], "attrs": {}, "value": None, "kind": None}
        for k, v, sub in tree_items(node):
            if k == "mcbridge.nla":
                n["children"].append(self.nla(sub))
            elif k.startswith("mcbridge.nla.") and k[13:] in ("u8", "u16", "u32", "u64",
                                                               "str", "hex"):
                n["kind"], n["value"] = k[13:], v
            elif k.startswith("mcbridge.nla."):
                n[k[13:]] = v
            elif k.startswith("mcbridge.attr."):
                n["attrs"][k[len("mcbridge.attr."):]] = v
                if sub:     # a named nest
                    n["children"] += [self.nla(s) for kk, _, s in tree_items(sub)
                                      if kk == "mcbridge.nla"]
            elif k == "_ws.expert":
                self.experts += [kk for kk, _, _ in tree_items(sub)
                                 if not kk.startswith("_ws.")]
        return n

    def get(self, name):
        return value(self.fields.get("mcbridge." + name))


def generic_attrs(nlas):
    """The dissector's attributes in the form of the listener's "attrs"."""
    out = []
    for n in nlas:
        a = {"type": int(n["type"]), "len": int(n["len"]) - 4}
        if n["children"]:
            a["nested"] = generic_attrs(n["children"])
        elif n["kind"] in ("u8", "u16", "u32", "u64"):
            a[n["kind"]] = int(n["value"])
        elif n["kind"] == "str":
            a["str"] = n["value"]
        else:
            a["hex"] = (n["value"] or "").replace(":", "")
        out.append(a)
    return out


def json_tree(node):
    """The object Wireshark's JSON dissector shows, rebuilt."""
    for k, v, sub in tree_items(node):
        if k == "json.object":
            return json_obj(sub)
    return None


def json_obj(node):
    obj = {}
    for k, v, sub in tree_items(node or []):
        if k == "json.member":
            obj[v] = json_val(sub)
    return obj


def json_val(node):
    for k, v, sub in tree_items(node):
        if k == "json.value.string":
            return v
        if k == "json.value.number":
            return int(v)
        if k in ("json.value.true", "json.value.false", "json.value.null"):
            return {"json.value.true": True, "json.value.false": False}.get(k)
        if k == "json.object":
            return json_obj(sub)
        if k == "json.array":
            return [json_val([(kk, vv if s is None else s)])
                    for kk, vv, s in tree_items(sub or [])]
    return None


# ---- the spec ---------------------------------------------------------------

def spec_attrs():
    """{JSON key: (spec name, type number, type, {enum name: value})}."""
    spec = yaml.safe_load(open(os.path.join(TOP, "kmod/mcbridge.yaml")))
    enums = {}
    for d in spec["definitions"]:
        if d["type"] == "enum":
            enums[d["name"]] = {(e["name"] if isinstance(e, dict) else e): i
                                for i, e in enumerate(d["entries"])}
    out, value_ = {}, 0
    for a in spec["attribute-sets"][0]["attributes"]:
        value_ = a.get("value", value_)
        key = a.get("x-user", {}).get("json", a["name"].replace("-", "_"))
        out[key] = (a["name"], value_, a["type"], enums.get(a.get("enum"), {}))
        value_ += 1
    return out


# ---- the checks ---------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lua", required=True)
    ap.add_argument("dir")
    a = ap.parse_args()
    man = json.load(open(os.path.join(a.dir, "manifest.json")))
    pcap = os.path.join(a.dir, man["pcap"])
    key = read_key(os.path.join(a.dir, man["key"]))
    maps = {(m["group"], m["port"]): m for m in man["mappings"]}
    spec = spec_attrs() if man["family"] == "mcbridge" else {}

    listened = {}
    for m in man["mappings"]:
        with open(os.path.join(a.dir, "listen-%s.out" % m["name"])) as f:
            listened[m["name"]] = {}
            for l in f:
                e = json.loads(l)
                listened[m["name"]][e["bridge_seq"]] = e

    packets = read_pcap(pcap)
    view = dissected(pcap, a.lua)
    p = {k: [] for k in ("count", "format", "header", "listener", "attrs", "nla",
                         "json", "auth", "notice", "trunc", "other")}
    per_map = {m["name"]: [] for m in man["mappings"]}
    total = 0
    for num, dst, port, payload in packets:
        m = maps.get((dst, port))
        layers = view.get(num, [])
        if not m:
            if layers:
                p["other"].append("frame %d to %s:%d dissected as mcbridge" % (num, dst, port))
            continue
        dgrams = split(payload)
        if len(layers) != len(dgrams):
            p["count"].append("frame %d: %d datagrams, %d dissected" % (num, len(dgrams),
                                                                     len(layers)))
            continue
        for d, (layer, jlayer) in zip(dgrams, layers):
            total += 1
            per_map[m["name"]].append(d)
            check_one(m, d, Dissected(layer), jlayer, listened[m["name"]], key, spec, p,
                      "frame %d %s" % (num, m["name"]))

    check("every datagram dissected as mcbridge, GSO runs split, nothing else claimed",
          p["count"] + p["other"], total)
    sizes = []
    for m in man["mappings"]:
        got = len(per_map[m["name"]])
        if not got == m["sent"] == len(listened[m["name"]]):
            sizes.append("%s: captured %d, bridge sent %d, listener printed %d" %
                         (m["name"], got, m["sent"], len(listened[m["name"]])))
    check("each mapping: datagrams captured = sent by the bridge = printed by its "
          "listener", sizes)
    check("format shown (json/binary) is the mapping's", p["format"], total)
    check("binary header: every field and flag equals the datagram's bytes", p["header"],
          total)
    check("kind, family, group, bridge_seq/time/run, cmd, count, kernel_seq equal "
          "the listener's", p["listener"], total)
    if man["family"] == "mcbridge":
        check("mcbridge attributes by spec name equal the listener's (enums by name)",
              p["attrs"], total)
    else:
        check("other family's attributes, typed like JSON attrs, equal the "
              "listener's", p["attrs"], total)
    check("binary: attribute walk (type, length) equals the bytes", p["nla"], total)
    check("JSON: the JSON dissector's tree equals the datagram's object", p["json"], total)
    check("signed: flag, epoch and MAC shown, MAC valid under the key; unsigned: "
          "none", p["auth"], total)
    check("overrun/lost notices flagged by expert info", p["notice"], total)
    check("truncation flagged as the listener saw it", p["trunc"], total)
    coverage(man, per_map, listened)
    heuristic(pcap, a.lua, packets, maps)
    verbose(pcap, a.lua, total, spec)
    hostile(pcap, a.lua, packets, maps, a.dir)
    return 1 if results["fail"] else 0


def check_one(m, d, D, jlayer, listener, key, spec, p, where):
    fmt = m["format"]
    if D.get("format") != fmt:
        p["format"].append("%s: format %r" % (where, D.get("format")))
        return
    if fmt == "binary":
        h = parse_header(d)
        for k, v in h.items():
            got = D.get(k)
            if got != v:
                p["header"].append("%s: %s %r, bytes say %r" % (where, k, got, v))
        for name, bit in (("truncated", F_TRUNCATED), ("kernel_seq", F_KERNEL_SEQ),
                          ("kernel_time", F_KERNEL_TIME), ("attr_be", F_ATTR_BE),
                          ("auth", F_AUTH), ("run", F_RUN)):
            got = D.flags.get("mcbridge.flags." + name)
            if got != ("1" if h["flags"] & bit else "0"):
                p["header"].append("%s: flag %s %r, flags %#x" % (where, name, got,
                                                                h["flags"]))
        bseq = h["bridge_seq"]
        top = nla_top(d[h["hdr_len"]:h["hdr_len"] + h["attr_len"]], h["flags"] & F_ATTR_BE)
        shown = [(int(n["type"]) | (0x8000 if n.get("nested") == "1" else 0) |
                  (0x4000 if n.get("net_byteorder") == "1" else 0), int(n["len"]))
                 for n in D.nlas]
        if shown != top:
            p["nla"].append("%s: %r, bytes %r" % (where, shown, top))
    else:
        obj = json.loads(d)
        bseq = obj["bridge_seq"]
        tree = json_tree(jlayer or [])
        if tree != obj:
            p["json"].append("%s: JSON dissector %r, datagram %r" % (where, tree, obj))
    L = listener.get(bseq)
    if L is None:
        p["listener"].append("%s: bridge_seq %d not printed by the listener" % (where, bseq))
        return
    want = {"kind": KINDS[L["kind"]], "family": L["family"], "group": L["group"],
            "bridge_seq": L["bridge_seq"], "bridge_time_ns": L["bridge_time_ns"],
            "run": L.get("bridge_run")}
    if L["kind"] == "event":
        want["cmd"] = L["cmd_id"]
        if not L["cmd"].isdigit():
            want["cmd_name"] = L["cmd"]
    else:
        want["count"] = L["count"]
        if "kernel_seq" in L:
            want["kernel_seq"] = L["kernel_seq"]
    for k, v in want.items():
        if D.get(k) != v:
            p["listener"].append("%s: %s %r, listener %r" % (where, k, D.get(k), v))

    # Attributes.
    if spec and L["kind"] == "event":
        lattrs = {k: v for k, v in L.items() if k not in HEADER_KEYS}
        names = {}
        for k, v in lattrs.items():
            if k not in spec:
                p["attrs"].append("%s: listener key %s not in the spec" % (where, k))
                continue
            name, tnum, typ, enum = spec[k]
            names[name.replace("-", "_")] = v
            got = D.attrs.get(name.replace("-", "_"))
            if typ == "string":
                same = got == v
            else:   # enums by name, or as a number when unnamed
                same = value(got) == (enum.get(v, v) if isinstance(v, str) else v)
            if not same:
                p["attrs"].append("%s: %s %r, listener %r" % (where, name, got, v))
        extra = set(D.attrs) - set(names) - {"pad"}
        if extra:
            p["attrs"].append("%s: shown but not printed by the listener: %s" % (where, extra))
        for n in D.nlas:
            typ = int(n["type"])
            sname = [s for s in spec.values() if s[1] == typ]
            if sname and sname[0][0] not in ("unspec",) and n.get("name") != sname[0][0]:
                p["attrs"].append("%s: type %d named %r, spec %r" % (where, typ, n.get("name"),
                                                                  sname[0][0]))
    elif fmt == "binary" and L["kind"] == "event":
        if generic_attrs(D.nlas) != L.get("attrs", []):
            p["attrs"].append("%s: %r, listener %r" % (where, generic_attrs(D.nlas),
                                                       L.get("attrs")))

    # Authentication.
    signed = D.get("signed") == 1
    if signed != m["signed"]:
        p["auth"].append("%s: signed %r, mapping signed %r" % (where, signed, m["signed"]))
    elif signed:
        epoch, mac, ok = mac_ok(d, key, fmt)
        if not ok:
            p["auth"].append("%s: the MAC does not verify" % where)
        if value(D.auth.get("mcbridge.auth.epoch")) != epoch:
            p["auth"].append("%s: epoch %r, datagram %#x" % (where,
                             D.auth.get("mcbridge.auth.epoch"), epoch))
        if (D.auth.get("mcbridge.auth.hmac") or "").replace(":", "") != mac.hex():
            p["auth"].append("%s: hmac %r, datagram %s" % (where,
                             D.auth.get("mcbridge.auth.hmac"), mac.hex()))
    elif D.auth:
        p["auth"].append("%s: unsigned, trailer shown %r" % (where, D.auth))

    notice = "mcbridge.notice" in D.experts
    if notice != (L["kind"] != "event"):
        p["notice"].append("%s: kind %s, notice expert %r" % (where, L["kind"], notice))
    trunc = (D.flags.get("mcbridge.flags.truncated") == "1" if fmt == "binary"
             else D.get("truncated") == 1)
    if trunc != bool(L.get("truncated")) or trunc != ("mcbridge.truncated.expert" in D.experts):
        p["trunc"].append("%s: truncated %r, listener %r, experts %r" % (
            where, trunc, L.get("truncated"), D.experts))


def coverage(man, per_map, listened):
    """What the capture must hold for the checks above to mean something."""
    problems = []
    for m in man["mappings"]:
        evs = list(listened[m["name"]].values())
        kinds = {e["kind"] for e in evs}
        need = {"event", "overrun", "lost"}
        if not need <= kinds:
            problems.append("%s: kinds %s, need %s" % (m["name"], kinds, need))
        if m["truncating"] and not any(e.get("truncated") for e in evs):
            problems.append("%s: nothing truncated" % m["name"])
        if man["family"] == "mcbridge":
            types = {e.get("type") for e in evs}
            want = set(man.get("expect_types", ["injected", "heartbeat", "netdev"]))
            if not want <= types:
                problems.append("%s: event types %s, need %s" % (m["name"], types, want))
            if not any(e["kind"] == "lost" and "kernel_seq" in e for e in evs):
                problems.append("%s: no lost notice with kernel_seq" % m["name"])
            if not m["truncating"] and not any('"dissector"' in e.get("text", "")
                                               for e in evs):
                problems.append("%s: no event with the escaped text" % m["name"])
        elif not m["truncating"] and not any(
                any("u16" in x for x in e.get("attrs", [])) for e in evs):
            problems.append("%s: the message of every attribute kind is missing" % m["name"])
    check("the capture holds events, overrun and lost notices (and truncated events, "
          "event types) in every mapping", problems)


def heuristic(pcap, lua, packets, maps):
    """Port 7788 by the port table, 47788 by the heuristic alone."""
    def mcb_frames(*args):
        out = tshark(pcap, lua, "-T", "fields", "-e", "frame.number", "-e",
                     "mcbridge.bridge_seq", *args)
        return {int(l.split("\t")[0]) for l in out.splitlines() if l.split("\t")[1:] != [""]}
    bport = {n: port for n, dst, port, _ in packets if (dst, port) in maps}
    on = {port: {n for n, pt in bport.items() if pt == port} for port in (7788, 47788)}
    if not on[47788] or not on[7788]:
        check("both ports in the capture", ["7788: %d, 47788: %d frames" %
                                            (len(on[7788]), len(on[47788]))])
        return
    got = mcb_frames()
    check("heuristic: port 47788 (no port registered) dissected as mcbridge",
          [] if on[47788] <= got else ["frames %s not" % sorted(on[47788] - got)[:10]])
    got = mcb_frames("--disable-heuristic", "mcbridge_udp")
    check("without the heuristic: 7788 still mcbridge, 47788 not",
          [] if on[7788] <= got and not on[47788] & got else
          ["7788 missing %d, 47788 dissected %d" % (len(on[7788] - got),
                                                   len(on[47788] & got))])
    got = mcb_frames("--disable-heuristic", "mcbridge_udp", "-o", "mcbridge.udp_port:47788")
    check("preference mcbridge.udp_port:47788 moves the port registration",
          [] if on[47788] <= got and not on[7788] & got else
          ["47788 missing %d, 7788 dissected %d" % (len(on[47788] - got),
                                                   len(on[7788] & got))])


def write_pcap(path, payloads, port=7788):
    """A pcap of lo (Ethernet) holding each payload as a UDP datagram."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for i, p in enumerate(payloads):
        udp = struct.pack(">HHHH", 40000, port, 8 + len(p), 0) + p
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 0, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([225, 0, 0, 1])) + udp
        frame = b"\0" * 12 + b"\x08\x00" + ip
        out.append(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def hostile(pcap, lua, packets, maps, workdir):
    """Datagrams made from captured ones, cut and broken as a hostile local
    sender may: each is shown, as mcbridge, without a Lua error."""
    rng = random.Random(7788)
    samples = {}
    for _, dst, port, payload in packets:
        m = maps.get((dst, port))
        if m:
            d = split(payload)[0]
            samples.setdefault((m["format"], m["signed"]), d)
    bad = []
    for (fmt, _), d in sorted(samples.items()):
        bad += [d[:n] for n in range(4 if fmt == "binary" else 9, len(d))]
        for _ in range(200):
            b = bytearray(d)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(4 if fmt == "binary" else 9, len(b))
                b[i] = rng.randrange(256)
            bad.append(bytes(b))
        if fmt == "binary":
            h = parse_header(d)
            for off, fmt_, v in ((6, ">H", 200), (6, ">H", 4), (12, ">I", 0xFFFFFFF0),
                                 (8, ">H", h["flags"] ^ F_AUTH), (4, ">B", 2),
                                 (96, "<H", 2), (96, "<H", 0xFFFF)):
                b = bytearray(d)
                struct.pack_into(fmt_, b, off, v)
                bad.append(bytes(b))
        else:
            bad += [d[:-2] + b'\\u12"}\n', d.replace(b'"', b"\\", 3), d + d[:30]]
    path = os.path.join(workdir, "hostile.pcap")
    write_pcap(path, bad)
    out = tshark(path, lua, "-V", raw=True)
    text = out.decode(errors="replace")
    problems = []
    try:
        out.decode()
    except UnicodeDecodeError as e:
        problems.append("not UTF-8: %r" % out[max(0, e.start - 200):e.start + 20])
    if "Lua Error" in text:
        i = text.index("Lua Error")
        problems.append(text[max(0, i - 800):i + 300])
    frames = len(re.findall(r"^Frame \d+:", text, re.M))
    trees = len(re.findall(r"^mcbridge event datagram", text, re.M))
    if trees < frames or frames != len(bad):
        problems.append("%d datagrams, %d frames, %d mcbridge trees" % (len(bad), frames,
                                                                         trees))
    check("%d cut and corrupted datagrams: each shown, no Lua error, the text UTF-8" %
          len(bad), problems)


def verbose(pcap, lua, total, spec):
    text = tshark(pcap, lua, "-V")
    trees = text.count("\nmcbridge event datagram")
    problems = []
    if "Lua Error" in text:
        i = text.index("Lua Error")
        problems.append(text[i:i + 300])
    if trees != total:
        problems.append("%d mcbridge trees, %d datagrams" % (trees, total))
    check("tshark -V: one mcbridge tree per datagram, no Lua error", problems)
    if not spec:
        return
    # Enums read by name, as the spec names each value: "type: injected (4)".
    enums = {name: enum for name, _, _, enum in spec.values() if enum}
    shown, problems = 0, []
    for m in re.finditer(r"^ +(%s): (\S+) \((\d+)\)$" % "|".join(enums), text, re.M):
        shown += 1
        if enums[m.group(1)].get(m.group(2)) != int(m.group(3)):
            problems.append(m.group(0).strip())
    if not shown:
        problems.append("no enum attribute shown")
    check("tshark -V: enum attributes shown by the spec's names (%d)" % shown, problems)


if __name__ == "__main__":
    sys.exit(main())
