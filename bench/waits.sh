#!/bin/bash
# waits.sh - heapscope stacks with its lock and deadlock analysis on a
# 50-thread target, against gdb's py-bt and (BASELINE) an older heapscope
# without it, same target, same run.
#
# Starts fixtures/deadlock.py with 21 more deadlocked pairs: 50 threads,
# 49 of them blocked on locks, 23 deadlocks.  Prints the median wall time
# of each tool, the ratios, the target's pause (goal: under 10 ms), and
# whether heapscope found every deadlock the fixture made.
#   HEAPSCOPE  the heapscope binary (default: ./heapscope)
#   BASELINE   an older heapscope to compare with (goal: within 3x of it)
#   RUNS       runs per tool (default 10)
#   PYTHON     the interpreter (default /usr/bin/python3.11)
#   PYBT_GDB   its gdb extension (default Debian's for python3.11)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
hs=${HEAPSCOPE:-$here/heapscope}
base=${BASELINE:-}
runs=${RUNS:-10}
py=${PYTHON:-/usr/bin/python3.11}
gdbext=${PYBT_GDB:-/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py}

[ -x "$hs" ] || { echo "bench: $hs not built (./setup.sh)"; exit 1; }
[ -x "$py" ] || { echo "bench: $py is missing"; exit 1; }
[ -z "$base" ] || [ -x "$base" ] || { echo "bench: BASELINE $base is not a program"; exit 1; }

fifo=$(mktemp -u)
in=$(mktemp -u)
mkfifo "$fifo" "$in"
"$py" -u "$here/fixtures/deadlock.py" 21 < "$in" > "$fifo" &
pid=$!
exec 3> "$in" # its stdin: the fixture ends when this script does
trap 'kill $pid 2>/dev/null; rm -f "$fifo" "$in"' EXIT
read -r facts < "$fifo"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms() { awk -v n="$1" 'BEGIN { printf "%9.2f ms", n / 1e6 }'; }

"$hs" stacks "$pid" > /dev/null
[ -z "$base" ] || "$base" stacks "$pid" > /dev/null
hs_ns=() base_ns=() gdb_ns=() pause=()
for i in $(seq "$runs"); do
	t0=$(now)
	out=$("$hs" stacks --json "$pid")
	t1=$(now)
	hs_ns+=($((t1 - t0)))
	pause+=($(printf '%s' "$out" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["pause_us"])'))
	if [ -n "$base" ]; then
		t0=$(now)
		"$base" stacks --json "$pid" > /dev/null
		t1=$(now)
		base_ns+=($((t1 - t0)))
	fi
	if command -v gdb > /dev/null && [ -f "$gdbext" ]; then
		t0=$(now)
		gdb -p "$pid" -batch -nx -iex 'set auto-load safe-path /' \
			-ex "source $gdbext" -ex 'thread apply all py-bt' > /dev/null 2>&1
		t1=$(now)
		gdb_ns+=($((t1 - t0)))
	fi
done

found=$(printf '%s' "$out" | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["deadlocks"]))')
made=$(printf '%s' "$facts" | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["deadlocks"]))')
threads=$(printf '%s' "$out" | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))')
hs_med=$(printf '%s\n' "${hs_ns[@]}" | median)
p_med=$(printf '%s\n' "${pause[@]}" | median)
p_max=$(printf '%s\n' "${pause[@]}" | sort -n | tail -1)
echo "target: fixtures/deadlock.py 21 under $py, $threads threads, $runs runs each"
echo "heapscope stacks (waits, deadlocks)   median $(ms "$hs_med")"
if [ -n "$base" ]; then
	b_med=$(printf '%s\n' "${base_ns[@]}" | median)
	echo "baseline stacks ($base)  median $(ms "$b_med")"
	awk -v a="$hs_med" -v b="$b_med" 'BEGIN { printf "ratio heapscope / baseline: %.2fx (goal <= 3x)\n", a / b }'
fi
if [ ${#gdb_ns[@]} -gt 0 ]; then
	g_med=$(printf '%s\n' "${gdb_ns[@]}" | median)
	echo "gdb -p -batch thread apply all py-bt  median $(ms "$g_med")"
	awk -v a="$hs_med" -v g="$g_med" 'BEGIN { printf "ratio gdb / heapscope: %.1fx\n", g / a }'
fi
awk -v m="$p_med" -v x="$p_max" 'BEGIN { printf "target pause: median %.3f ms, max %.3f ms (goal < 10 ms)\n", m / 1e3, x / 1e3 }'
echo "deadlocks found: $found of the $made the fixture made"
