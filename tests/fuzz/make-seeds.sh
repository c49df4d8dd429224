#!/bin/sh
# make-seeds.sh - write the seed corpora of the fuzzers.
#
#   tests/fuzz/make-seeds.sh MKSNAP
#
# snapshot/: the small synthetic snapshots of tests/mksnap (MKSNAP is
# that program, built by make check).  elf/: shared objects built here
# from C written from lib/layout/layout_fields.h by seed-structs.py (every struct
# and member heapscope resolves, laid out as plain fields, so that the
# DWARF reader finds them all), with DWARF 4 and 5, compressed debug
# sections, stripped with a .gnu_debuglink, and the debug file alone.
# walk/: one input per minor version and way of reading (fuzz-walk.c
# says what the bytes mean).  core/: small synthetic cores written by
# seed-core.py (whole, cut, with counts that lie, overlapping segments),
# and the whole one compressed as systemd-coredump keeps them (xz by
# seed-core.py, zstd and lz4 here).  The results are committed; run this
# again when the snapshot format or the layout fields change.  Inputs
# the fuzzers found (found-*) are kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mksnap=$1
corpus=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -f "$corpus"/snapshot/[!f]*
"$mksnap" "$corpus/snapshot"

python3 "$here/seed-structs.py" "$here/../../lib/layout/layout_fields.h" > "$tmp/seed.c"
# the temporary folder's name mapped away: the same bytes on every run
cc="gcc -O0 -shared -fPIC -nostdlib -Wl,--build-id -fdebug-prefix-map=$tmp=/seed"
rm -f "$corpus"/elf/[!f]*
$cc -gdwarf-5 -o "$corpus/elf/dwarf5.so" "$tmp/seed.c"
$cc -gdwarf-4 -o "$corpus/elf/dwarf4.so" "$tmp/seed.c"
$cc -gdwarf-5 -gz=zlib -o "$corpus/elf/compressed.so" "$tmp/seed.c"
$cc -gdwarf-5 -o "$tmp/full.so" "$tmp/seed.c"
objcopy --only-keep-debug "$tmp/full.so" "$corpus/elf/separate.debug"
objcopy --strip-debug --add-gnu-debuglink="$corpus/elf/separate.debug" \
	"$tmp/full.so" "$corpus/elf/stripped.so"

# walk: layout table (0-5: layout_tables[], 3.8-3.13), seed, how; no
# record: the fuzzer adds them

rm -f "$corpus"/walk/[!f]*
for minor in 0 1 2 3 4 5; do
	for how in 0 3 7; do
		printf "\\$(printf %03o $minor)\\$(printf %03o $((minor * 7 + how)))\\$(printf %03o $how)" \
			> "$corpus/walk/3.$((minor + 8))-$how"
	done
done
rm -f "$corpus"/core/[!f]*
python3 "$here/seed-core.py" "$corpus/core"
zstd -q -19 -c "$corpus/core/valid.core" > "$corpus/core/valid.core.zst"
lz4 -q -9 -c "$corpus/core/valid.core" > "$corpus/core/valid.core.lz4"

ls -l "$corpus"/*/ | awk 'NF > 5 { n++; s += $5 } END { print n " seeds, " s " bytes" }'
