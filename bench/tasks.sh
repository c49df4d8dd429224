#!/bin/bash
# tasks.sh - heapscope tasks on 10,000 asyncio tasks (goal: under 1 s),
# against CPython 3.14's own 'python -m asyncio pstree PID' (which reads
# a 3.14 process from outside) on the same target, same run.
#
# Starts fixtures/tasks.py N: N tasks, each asleep in asyncio.sleep.
# Prints the median wall time of each tool, their ratio, and whether
# heapscope found every task.
#   HEAPSCOPE  the heapscope binary (default: ./heapscope)
#   PYTHON     the target's interpreter (default /opt/cpython/3.14.7/bin/
#              python3 when present, else /usr/bin/python3.11); pstree
#              runs when it is a 3.14
#   TASKS      number of tasks (default 10000)
#   RUNS       runs per tool (default 5)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
hs=${HEAPSCOPE:-$here/heapscope}
runs=${RUNS:-5}
n=${TASKS:-10000}
py=${PYTHON:-}
if [ -z "$py" ]; then
	py=/usr/bin/python3.11
	[ -x /opt/cpython/3.14.7/bin/python3 ] && py=/opt/cpython/3.14.7/bin/python3
fi
[ -x "$hs" ] || { echo "bench: $hs not built (./setup.sh)"; exit 1; }
[ -x "$py" ] || { echo "bench: $py is missing"; exit 1; }

fifo=$(mktemp -u)
in=$(mktemp -u)
mkfifo "$fifo" "$in"
"$py" -u "$here/fixtures/tasks.py" "$n" < "$in" > "$fifo" &
pid=$!
exec 3> "$in" # its stdin: the fixture ends when this script does
trap 'kill $pid 2>/dev/null; rm -f "$fifo" "$in"' EXIT
read -r _ < "$fifo"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms() { awk -v n="$1" 'BEGIN { printf "%9.1f ms", n / 1e6 }'; }

pstree=0
"$py" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 14))' && pstree=1
"$hs" tasks "$pid" > /dev/null
hs_ns=() ps_ns=()
for i in $(seq "$runs"); do
	t0=$(now)
	out=$("$hs" tasks --json "$pid")
	t1=$(now)
	hs_ns+=($((t1 - t0)))
	if [ "$pstree" = 1 ]; then
		t0=$(now)
		"$py" -m asyncio pstree "$pid" > /dev/null 2>&1 || true
		t1=$(now)
		ps_ns+=($((t1 - t0)))
	fi
done
found=$(printf '%s' "$out" | "$py" -c 'import json,sys; print(sum(t["state"] == "pending" for t in json.load(sys.stdin)["tasks"]))')
hs_med=$(printf '%s\n' "${hs_ns[@]}" | median)
echo "target: fixtures/tasks.py $n under $py, $runs runs each"
echo "heapscope tasks --json                median $(ms "$hs_med") (goal < 1000 ms)"
if [ "$pstree" = 1 ]; then
	p_med=$(printf '%s\n' "${ps_ns[@]}" | median)
	echo "python -m asyncio pstree PID          median $(ms "$p_med")"
	awk -v a="$hs_med" -v p="$p_med" 'BEGIN { printf "ratio pstree / heapscope: %.2fx\n", p / a }'
fi
echo "pending tasks found: $found of $((n + 1)) (the fixture's and its main task)"
