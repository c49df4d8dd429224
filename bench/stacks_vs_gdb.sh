#!/bin/bash
# stacks_vs_gdb.sh - heapscope stacks against gdb's py-bt, same target,
# same run.
#
# Starts fixtures/stacks.py (6 threads blocked at known places) under
# an interpreter whose gdb extension gives gdb its py-bt command (by
# default Debian's python3.11 and its python3.11-dbg package), then times
# RUNS runs of each tool and prints the median wall times, their ratio,
# and the pause heapscope reports (the time the target was frozen).
# "cold" runs with --no-cache: the DWARF of the build is read every
# time, as on the first run on a machine.
#   HEAPSCOPE  the heapscope binary (default: ./heapscope)
#   RUNS       runs per tool (default 10)
#   PYTHON     the interpreter (default /usr/bin/python3.11)
#   PYBT_GDB   its gdb extension, Tools/gdb/libpython.py of its sources
#              (default Debian's for python3.11), e.g. for a 3.14 build:
#              PYTHON=/opt/cpython/3.14.7/bin/python3.14
#              PYBT_GDB=/opt/src/cpython-3.14.7/Tools/gdb/libpython.py
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
hs=${HEAPSCOPE:-$here/heapscope}
runs=${RUNS:-10}
py=${PYTHON:-/usr/bin/python3.11}
gdbext=${PYBT_GDB:-/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py}

[ -x "$hs" ] || { echo "bench: $hs not built (./setup.sh)"; exit 1; }
command -v gdb >/dev/null || { echo "bench: gdb is missing (apt-get install gdb)"; exit 1; }
[ -x "$py" ] || { echo "bench: $py is missing"; exit 1; }
[ -f "$gdbext" ] || { echo "bench: $gdbext missing (apt-get install python3.11-dbg, or PYBT_GDB)"; exit 1; }

fifo=$(mktemp -u)
mkfifo "$fifo"
"$py" -u "$here/fixtures/stacks.py" > "$fifo" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$fifo"' EXIT
read -r _ready < "$fifo"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# warm: the first heapscope run fills the layout cache
"$hs" stacks "$pid" > /dev/null

hs_ns=() gdb_ns=() pause=() cold_ns=() native_ns=()
for i in $(seq "$runs"); do
	t0=$(now)
	out=$("$hs" stacks --json "$pid")
	t1=$(now)
	hs_ns+=($((t1 - t0)))
	pause+=($(printf '%s' "$out" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["pause_us"])'))

	t0=$(now)
	"$hs" stacks --no-cache "$pid" > /dev/null
	t1=$(now)
	cold_ns+=($((t1 - t0)))

	t0=$(now)
	"$hs" stacks --native "$pid" > /dev/null
	t1=$(now)
	native_ns+=($((t1 - t0)))

	t0=$(now)
	gout=$(gdb -p "$pid" -batch -nx -iex 'set auto-load safe-path /' \
		-ex "source $gdbext" -ex 'thread apply all py-bt' 2>&1)
	t1=$(now)
	gdb_ns+=($((t1 - t0)))
done

if ! grep -q 'in lock_waiter' <<<"$gout"; then
	echo "bench: gdb's py-bt does not show the fixture's frames here:"
	tail -5 <<<"$gout"
	exit 1
fi

hs_med=$(printf '%s\n' "${hs_ns[@]}" | median)
gdb_med=$(printf '%s\n' "${gdb_ns[@]}" | median)
cold_med=$(printf '%s\n' "${cold_ns[@]}" | median)
native_med=$(printf '%s\n' "${native_ns[@]}" | median)
p_med=$(printf '%s\n' "${pause[@]}" | median)
p_max=$(printf '%s\n' "${pause[@]}" | sort -n | tail -1)
awk -v py="$py" -v h="$hs_med" -v c="$cold_med" -v nt="$native_med" -v g="$gdb_med" -v pm="$p_med" -v px="$p_max" -v n="$runs" 'BEGIN {
	printf "target: fixtures/stacks.py under %s, 6 threads, %d runs each\n", py, n
	printf "%-36s median %9.2f ms\n", "heapscope stacks", h / 1e6
	printf "%-36s median %9.2f ms\n", "heapscope stacks --no-cache (cold)", c / 1e6
	printf "%-36s median %9.2f ms\n", "heapscope stacks --native", nt / 1e6
	printf "%-36s median %9.2f ms\n", "gdb -p -batch thread apply all py-bt", g / 1e6
	printf "ratio gdb / heapscope: %.1fx (cold layout cache %.1fx, --native %.1fx)\n", g / h, g / c, g / nt
	printf "target pause (heapscope stacks): median %.3f ms, max %.3f ms\n", pm / 1000, px / 1000
}'
