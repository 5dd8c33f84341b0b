#!/usr/bin/python3
"""Checks that kmod/mcbridge.yaml, include/uapi/linux/mcbridge.h and
kmod/mcbridge.c describe the same family.

The header's values are read by compiling a small C program against it, so
what is compared is what a C user of the header gets."""
import os
import re
import subprocess
import sys
import tempfile

import yaml

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = yaml.safe_load(open(os.path.join(top, "kmod/mcbridge.yaml")))
code = open(os.path.join(top, "kmod/mcbridge.c")).read()

expected = {}   # C name -> value the spec gives it
failures = []


def cname(*parts):
    return "_".join(p.replace("-", "_") for p in parts if p).upper()


def add_enum(prefix, entries, first):
    value = first
    for e in entries:
        if isinstance(e, dict):
            value = e.get("value", value)
            name = e["name"]
        else:
            name = e
        expected[cname(prefix.rstrip("-"), name)] = value
        value += 1
    # Each enum's __*_MAX must equal the spec's count: no extra members.
    expected["__" + cname(prefix.rstrip("-"), "max")] = value


for d in spec["definitions"]:
    if d["type"] == "const":
        expected[cname("mcbridge", d["name"])] = d["value"]
    elif d["type"] == "enum":
        add_enum(d["name-prefix"], d["entries"], 0)

for aset in spec["attribute-sets"]:
    add_enum(aset["name-prefix"], aset["attributes"], 1)

add_enum("mcbridge-cmd-", [op for op in spec["operations"]["list"]], 1)
expected["__MCBRIDGE_CMD_MAX"] = len(spec["operations"]["list"]) + 1

# Compile a program that prints each name's value in the header.
prog = ["#include <stdio.h>", "#include <linux/mcbridge.h>", "int main(void) {"]
for n in expected:
    prog.append('printf("%%s %%lld\\n", "%s", (long long)%s);' % (n, n))
prog.append("return 0; }")
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "values.c")
    exe = os.path.join(tmp, "values")
    open(src, "w").write("\n".join(prog) + "\n")
    r = subprocess.run(["cc", "-I", os.path.join(top, "include/uapi"), src, "-o", exe],
                       capture_output=True, text=True)
    if r.returncode:
        print("spec names missing from the header:\n" + r.stderr)
        sys.exit(1)
    actual = dict(l.split() for l in subprocess.check_output([exe], text=True).splitlines())

for n, v in expected.items():
    if int(actual[n]) != v:
        failures.append("%s: spec says %d, header says %s" % (n, v, actual[n]))

# Family, group and the policy facts that live in the module's source.
hdr = open(os.path.join(top, "include/uapi/linux/mcbridge.h")).read()
if '#define MCBRIDGE_GENL_NAME\t\t"%s"' % spec["name"] not in hdr:
    failures.append("family name differs from MCBRIDGE_GENL_NAME")
groups = [g["name"] for g in spec["mcast-groups"]["list"]]
for g in groups:
    if '"%s"' % g not in hdr:
        failures.append("multicast group %s is not in the header" % g)
ops = {op["name"]: op for op in spec["operations"]["list"]}
for name, op in ops.items():
    cmd = cname("mcbridge-cmd", name)
    block = re.search(r"\.cmd\s*=\s*%s,(.*?)\}" % cmd, code, re.S)
    if "do" in op and not block:
        failures.append("%s has no genl_ops entry in kmod/mcbridge.c" % name)
        continue
    if block:
        admin = "GENL_ADMIN_PERM" in block.group(1)
        if admin != ("admin-perm" in op.get("flags", [])):
            failures.append("%s: admin-perm flag differs from the code" % name)
    req = op.get("do", {}).get("request", {}).get("attributes", [])
    for a in req:
        if not re.search(r"\[%s\]\s*=" % cname("mcbridge-attr", a), code):
            failures.append("%s request attribute %s has no policy entry" % (name, a))
attrs = {a["name"]: a for a in spec["attribute-sets"][0]["attributes"]}
if "MCBRIDGE_TEXT_MAX" not in re.search(r"\[MCBRIDGE_ATTR_TEXT\]\s*=[^}]*\}", code).group(0):
    failures.append("text policy does not use MCBRIDGE_TEXT_MAX")
if attrs["count"]["checks"] != {"min": 1, "max": "emit-max-count"} or \
        not re.search(r"\.min = 1,\s*\.max = MCBRIDGE_EMIT_MAX_COUNT", code):
    failures.append("count range differs between spec and code")

for f in failures:
    print("spec mismatch: " + f)
print("checked %d names from the spec against the header and module" % len(expected))
sys.exit(1 if failures else 0)
