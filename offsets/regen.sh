#!/bin/sh
# regen.sh GEN OUTDIR - regenerate offsets/py3X.c from the DWARF of the
# newest reference build of each minor version found on this machine:
# pyenv's shared builds, and builds under /opt/cpython/VERSION (shared,
# GIL, release: 3.14 is built there, see docs/internals.md).
set -eu
gen=$1
out=$2
root=${PYENV_ROOT:-}
if [ -z "$root" ] && command -v pyenv >/dev/null; then root=$(pyenv root); fi
[ -n "$root" ] || root=$HOME/.pyenv
opt=${HS_CPYTHON_DIR:-/opt/cpython}
# the extension modules beside libpython whose structures heapscope
# reads (_asyncio; array, _struct, _decimal and _elementtree for their
# __sizeof__), as gen-offsets options
modules() {
	for m in "$(dirname "$1")"/python3.*/lib-dynload/_asyncio.*.so \
		"$(dirname "$1")"/python3.*/lib-dynload/array.*.so \
		"$(dirname "$1")"/python3.*/lib-dynload/_struct.*.so \
		"$(dirname "$1")"/python3.*/lib-dynload/_decimal.*.so \
		"$(dirname "$1")"/python3.*/lib-dynload/_elementtree.*.so; do
		[ -f "$m" ] && printf -- '-m %s ' "$m"
	done
}
for minor in 8 9 10 11 12 13 14; do
	# X.Y.Z only: no free-threaded (t), debug (d) or stripped variants
	lib=$(ls -d "$root"/versions/3.$minor.*/lib/libpython3.$minor.so \
		"$opt"/3.$minor.*/lib/libpython3.$minor.so 2>/dev/null |
		grep -E "/3\.$minor\.[0-9]+/lib/" |
		awk -F/ '{ print $(NF - 2) " " $0 }' | sort -V | tail -1 | cut -d' ' -f2-)
	if [ -z "$lib" ]; then
		echo "regen: no reference build of 3.$minor, keeping $out/py3$minor.c" >&2
		continue
	fi
	ver=$(basename "$(dirname "$(dirname "$lib")")")
	case "$lib" in
	"$root"/*) how="pyenv, DWARF" ;;
	*) how="$opt, DWARF" ;;
	esac
	"$gen" $(modules "$lib") "$lib" 3 "$minor" "CPython $ver ($how)" > "$out/py3$minor.c.tmp"
	mv "$out/py3$minor.c.tmp" "$out/py3$minor.c"
	echo "regen: $out/py3$minor.c from $lib"
done
# free-threaded builds, from 3.14 on: /opt/cpython/VERSIONt
for minor in 14; do
	lib=$(ls -d "$opt"/3.$minor.*t/lib/libpython3.${minor}t.so 2>/dev/null |
		awk -F/ '{ print $(NF - 2) " " $0 }' | sort -V | tail -1 | cut -d' ' -f2-)
	if [ -z "$lib" ]; then
		echo "regen: no free-threaded build of 3.$minor, keeping $out/py3${minor}t.c" >&2
		continue
	fi
	ver=$(basename "$(dirname "$(dirname "$lib")")")
	"$gen" $(modules "$lib") "$lib" 3 "$minor" "CPython $ver ($opt, DWARF)" t > "$out/py3${minor}t.c.tmp"
	mv "$out/py3${minor}t.c.tmp" "$out/py3${minor}t.c"
	echo "regen: $out/py3${minor}t.c from $lib"
done
