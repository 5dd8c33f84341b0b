#!/usr/bin/env bash
# Runs every test suite: each executable tests/<part>/suite-*.sh, in name order
# (but those marked to run only when named, see below).
# A suite prints its own checks and exits non-zero when any failed.
# Ends with the totals line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_names=()
only=${MCB_SUITES:-}	# optional: space-separated suite names to run

for suite in tests/*/suite-*.sh; do
	[ -x "$suite" ] || continue
	name=${suite#tests/}
	name=${name%.sh}
	if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then
		continue
	fi
	# Suites too long for every run (a line "# run-all: only when named")
	# run only when MCB_SUITES names them.
	if [ -z "$only" ] && grep -qx '# run-all: only when named' "$suite"; then
		echo "=== suite $name: skipped (MCB_SUITES=$name runs it)"
		continue
	fi
	echo "=== suite $name"
	start=$(date +%s)
	if "$suite"; then
		passed=$((passed + 1))
		echo "=== suite $name: ok ($(( $(date +%s) - start )) s)"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== suite $name: FAILED ($(( $(date +%s) - start )) s)"
	fi
done

[ "$failed" -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
