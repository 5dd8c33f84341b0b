#!/usr/bin/python3
"""Checks that the code generated from kmod/mcbridge.yaml is what
scripts/genl-gen.py makes of it today (regenerate and diff), and that the
uapi header, compiled, gives every name of the spec its value: what is
compared is what a C user of the header gets."""
import os
import subprocess
import sys
import tempfile

import yaml

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = yaml.safe_load(open(os.path.join(top, "kmod/mcbridge.yaml")))
failures = []

# Regenerate (in memory) and diff with the checked-in files.
gen = subprocess.run([sys.executable, os.path.join(top, "scripts/genl-gen.py"),
                      "--check"], capture_output=True, text=True)
sys.stdout.write(gen.stdout)
if gen.returncode:
    failures.append("generated files are stale: " + gen.stderr.strip())


expected = {}   # C name -> value the spec gives it


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

# Family and group.
hdr = open(os.path.join(top, "include/uapi/linux/mcbridge.h")).read()
if '"%s"' % spec["name"] not in hdr:
    failures.append("family name differs from MCBRIDGE_GENL_NAME")
for g in [g["name"] for g in spec["mcast-groups"]["list"]]:
    if '"%s"' % g not in hdr:
        failures.append("multicast group %s is not in the header" % g)

for f in failures:
    print("spec mismatch: " + f)
print("checked %d names from the spec against the header; generated files %s"
      % (len(expected), "stale" if gen.returncode else "up to date"))
sys.exit(1 if failures else 0)
