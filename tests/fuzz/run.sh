#!/bin/sh
# run.sh - run each libFuzzer harness for a set time over its corpus.
#
#   tests/fuzz/run.sh FUZZ_DIR CORPUS SECONDS NAME...
#
# FUZZ_DIR holds the harnesses (fuzz-NAME, built by make fuzz-build).
# The seeds in CORPUS/NAME are read, never written; what the fuzzer finds
# new goes to FUZZ_DIR/corpus/NAME and is kept for the next run.  An input
# that breaks a harness (a crash, a sanitizer report, a failed check, a
# run over 30 s or 3 GiB) is saved as FUZZ_DIR/crash-NAME-*, its report is
# in FUZZ_DIR/NAME.log; copy it into CORPUS/NAME once fixed, so that make
# check replays it from then on.  Prints TAP: a line per harness with its
# executions, and exits 1 if any found something.
set -u
dir=$1
corpus=$2
secs=$3
shift 3
n=0
failed=0
for name in "$@"; do
	n=$((n + 1))
	work=$dir/corpus/$name
	log=$dir/$name.log
	mkdir -p "$work"
	case $name in
	walk) maxlen=4096 ;;
	snapshot) maxlen=16384 ;;
	*) maxlen=0 ;;
	esac
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$dir/fuzz-$name" -max_total_time="$secs" -timeout=30 -rss_limit_mb=3072 \
		-max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$dir/crash-$name-" \
		"$work" "$corpus/$name" > "$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
	added=$(awk '/stat::new_units_added/ { print $2 }' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{ print $2 }')
	units=$(ls "$work" | wc -l)
	what="fuzz-$name: ${execs:-?} executions in $secs s, coverage ${cov:-?} edges,"
	what="$what ${added:-?} new inputs ($units in its working corpus)"
	if [ "$rc" = 0 ]; then
		echo "ok $n - $what, nothing found"
	else
		failed=1
		echo "not ok $n - $what: it found something (exit $rc)"
		grep -E -A40 'ERROR|fuzz check failed|deadly signal|runtime error' "$log" |
			head -60 | sed 's/^/#   /'
		ls "$dir"/crash-"$name"-* 2>/dev/null | sed 's/^/#   saved: /'
	fi
done
echo "1..$n"
exit $failed
