#!/bin/sh
# regen.sh GEN OUTDIR - regenerate offsets/py3X.c from the DWARF of the
# newest pyenv build of each minor version found on this machine.
set -eu
gen=$1
out=$2
root=${PYENV_ROOT:-}
if [ -z "$root" ] && command -v pyenv >/dev/null; then root=$(pyenv root); fi
[ -n "$root" ] || root=$HOME/.pyenv
for minor in 8 9 10 11 12 13; do
	lib=$(ls -d "$root"/versions/3.$minor.*/lib/libpython3.$minor.so 2>/dev/null |
		grep -v 't/lib/' | sort -V | tail -1)
	if [ -z "$lib" ]; then
		echo "regen: no pyenv build of 3.$minor, keeping $out/py3$minor.c" >&2
		continue
	fi
	ver=$(basename "$(dirname "$(dirname "$lib")")")
	"$gen" "$lib" 3 "$minor" "CPython $ver (pyenv, DWARF)" > "$out/py3$minor.c.tmp"
	mv "$out/py3$minor.c.tmp" "$out/py3$minor.c"
	echo "regen: $out/py3$minor.c from $lib"
done
