#!/bin/bash
# core.sh - heapscope on a core file, against the same process live and
# against gdb on the same core, same target, same run.
#
# Starts fixtures/bench_heap.py 2000000 (1M instances, each holding a
# list of one int: ~3M objects; it first times its own in-process walks,
# ~25 s, then prints a ready line and sleeps), takes one core of it with
# gcore while it keeps running blocked, then prints:
#   - the target's pause: the wall time of gcore (the process is stopped
#     from attach to detach) against heapscope snapshot's own pause;
#   - heapscope snapshot of the core against heapscope snapshot of the
#     live process: medians, ratio core / pid (goal: <= 1.5x);
#   - heapscope stacks of the core against gdb's 'thread apply all py-bt'
#     on the same core: medians, ratio gdb / heapscope (goal: >= 20x).
# The core (hundreds of MB) and the snapshots go in a mktemp -d directory
# under ${TMPDIR:-/tmp}, removed on exit.
#   HEAPSCOPE  the heapscope binary (default: ./heapscope)
#   RUNS       runs per tool (default 5)
#   PYTHON     the interpreter (default /usr/bin/python3.11)
#   PYBT_GDB   its gdb extension, Tools/gdb/libpython.py of its sources
#              (default Debian's for python3.11, package python3.11-dbg)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
hs=${HEAPSCOPE:-$here/heapscope}
runs=${RUNS:-5}
py=${PYTHON:-/usr/bin/python3.11}
gdbext=${PYBT_GDB:-/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py}

[ -x "$hs" ] || { echo "bench: $hs not built (./setup.sh)"; exit 1; }
command -v gdb >/dev/null || { echo "bench: gdb is missing (apt-get install gdb)"; exit 1; }
command -v gcore >/dev/null || { echo "bench: gcore is missing (it comes with gdb: apt-get install gdb)"; exit 1; }
[ -x "$py" ] || { echo "bench: $py is missing"; exit 1; }
[ -f "$gdbext" ] || { echo "bench: $gdbext missing (apt-get install python3.11-dbg, or PYBT_GDB)"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-core.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP # so that the core goes on ^C too
mkfifo "$tmp/ready"
"$py" -u "$here/fixtures/bench_heap.py" 2000000 > "$tmp/ready" &
pid=$!
read -r _ready < "$tmp/ready" || { echo "bench: fixtures/bench_heap.py did not start"; exit 1; }

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
jget() { "$py" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# run_hs ARGS...: run heapscope, stdout kept; on failure, say what failed
run_hs() {
	if ! "$hs" "$@" 2> "$tmp/err"; then
		echo "bench: heapscope failed: $hs $*" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
}

# warm: the first heapscope run fills the layout cache
run_hs stacks "$pid" > /dev/null

# the core, once: gcore writes FILE.PID
t0=$(now)
if ! gcore -o "$tmp/core" "$pid" > "$tmp/gcore.log" 2>&1; then
	echo "bench: gcore -o $tmp/core $pid failed:"
	tail -5 "$tmp/gcore.log"
	exit 1
fi
t1=$(now)
gcore_ns=$((t1 - t0))
core=$tmp/core.$pid
[ -s "$core" ] || { echo "bench: gcore wrote no $core:"; tail -5 "$tmp/gcore.log"; exit 1; }
core_bytes=$(stat -c %s "$core")

run_hs stacks "$core" > /dev/null
core_ns=() pid_ns=() pause=() stk_ns=() gdb_ns=()
for i in $(seq "$runs"); do
	rm -f "$tmp/core.hsnap" "$tmp/pid.hsnap"
	t0=$(now)
	run_hs snapshot -o "$tmp/core.hsnap" "$core" > /dev/null
	t1=$(now)
	core_ns+=($((t1 - t0)))

	t0=$(now)
	out=$(run_hs snapshot --json -o "$tmp/pid.hsnap" "$pid")
	t1=$(now)
	pid_ns+=($((t1 - t0)))
	pause+=($(printf '%s' "$out" | jget pause_us))

	t0=$(now)
	sout=$(run_hs stacks "$core")
	t1=$(now)
	stk_ns+=($((t1 - t0)))

	t0=$(now)
	gout=$(gdb -batch -nx -iex 'set auto-load safe-path /' \
		-ex "source $gdbext" -ex 'thread apply all py-bt' "$py" "$core" 2>&1)
	t1=$(now)
	gdb_ns+=($((t1 - t0)))
done

if ! grep -q 'bench_heap.py", line [0-9]*, in main' <<<"$gout"; then
	echo "bench: gdb's py-bt does not show the fixture's frames in the core:"
	tail -5 <<<"$gout"
	exit 1
fi
if ! grep -q 'main (.*bench_heap.py, line' <<<"$sout"; then
	echo "bench: heapscope stacks does not show the fixture's frames in the core:"
	tail -5 <<<"$sout"
	exit 1
fi

ver=$("$py" -c 'import platform; print(platform.python_version())')
pid_objs=$(run_hs info --json "$tmp/pid.hsnap" | jget objects)
core_objs=$(run_hs info --json "$tmp/core.hsnap" | jget objects)
core_med=$(printf '%s\n' "${core_ns[@]}" | median)
pid_med=$(printf '%s\n' "${pid_ns[@]}" | median)
stk_med=$(printf '%s\n' "${stk_ns[@]}" | median)
gdb_med=$(printf '%s\n' "${gdb_ns[@]}" | median)
p_med=$(printf '%s\n' "${pause[@]}" | median)
p_max=$(printf '%s\n' "${pause[@]}" | sort -n | tail -1)
awk -v py="$py" -v ver="$ver" -v n="$runs" -v po="$pid_objs" -v co="$core_objs" \
	-v cb="$core_bytes" -v gc="$gcore_ns" -v pm="$p_med" -v px="$p_max" \
	-v c="$core_med" -v p="$pid_med" -v s="$stk_med" -v g="$gdb_med" 'BEGIN {
	printf "target: fixtures/bench_heap.py 2000000 under %s (Python %s), %d runs each\n", py, ver, n
	printf "objects: %d (snapshot of the process), %d (snapshot of its core)\n", po, co
	printf "core file: %.1f MB, taken once with gcore\n", cb / 1e6
	printf "\n"
	printf "%-42s %9.2f ms (gcore -o FILE PID, once)\n", "target pause, gcore", gc / 1e6
	printf "%-42s %9.2f ms median, max %.2f ms\n", "target pause, heapscope snapshot PID", pm / 1000, px / 1000
	printf "ratio gcore / heapscope pause: %.2fx\n", gc / (pm * 1000)
	printf "\n"
	printf "%-42s median %9.2f ms\n", "heapscope snapshot -o X CORE", c / 1e6
	printf "%-42s median %9.2f ms\n", "heapscope snapshot -o Y PID", p / 1e6
	printf "ratio core / pid: %.2fx (goal <= 1.5x)\n", c / p
	printf "\n"
	printf "%-42s median %9.2f ms\n", "heapscope stacks CORE", s / 1e6
	printf "%-42s median %9.2f ms\n", "gdb -batch thread apply all py-bt CORE", g / 1e6
	printf "ratio gdb / heapscope: %.1fx (goal >= 20x)\n", g / s
}'
