"""Checks for the Python test scripts, in the shape of tests/lib/check.sh:
a line "ok   NAME" or "FAIL NAME: WHY" each, and the totals at the end.

    sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
    from check import check, results, summary

MCB_TEST_LABEL, when set, is added to every check's name (a suite that runs
the same script twice tells the runs apart by it)."""
import os

LABEL = os.environ.get("MCB_TEST_LABEL", "")
results = {"ok": 0, "fail": 0}


def check(name, cond, why=""):
    """Counts and prints one check; returns cond."""
    if LABEL:
        name += " (%s)" % LABEL
    results["ok" if cond else "fail"] += 1
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond or not why else ": " + str(why)), flush=True)
    return cond


def summary(what=None):
    """Prints "[WHAT: ]N passed, N failed"; returns the exit status."""
    print("%s%d passed, %d failed" % (what + ": " if what else "",
                                      results["ok"], results["fail"]))
    return 1 if results["fail"] else 0
