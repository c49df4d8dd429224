#!/bin/sh
# setup.sh - install what heapscope needs on Debian 12, then build it.
#
# Works as root, or as a user with sudo.  Safe to run again: it installs
# only missing packages and rebuilds only what changed.
#   ./setup.sh --dev  also what make fuzz, make check-valgrind and make
#                     check-format need (clang with libFuzzer, valgrind,
#                     clang-format)
#   CONFIGURE_FLAGS   extra flags for ./configure (e.g. --enable-sanitizers)
set -eu
cd "$(dirname "$0")"
dev=0
case "${1:-}" in
--dev) dev=1 ;;
"") ;;
*) echo "usage: ./setup.sh [--dev]" >&2; exit 2 ;;
esac

# Build tools and libraries; python3 runs the demo and the test suite;
# python3.11-dbg gives Debian's python3.11 its DWARF (and python3.11d);
# python3-numpy gives it numpy, whose arrays' sizes the tests check;
# libc6-dbg names glibc's main_arena (and gives the DWARF its table is
# checked against);
# tmux drives the browser in the tests, graphviz and sqlite3 read the
# exports there, strace watches that
# heapscope runs no other program; libzstd, liblz4 and liblzma read the
# compressed core files of systemd-coredump, and gdb (gcore), zstd, lz4
# and xz-utils make the cores the tests read.
PKGS="build-essential autoconf automake pkg-config libelf-dev libdwarf-dev
libunwind-dev libncurses-dev libzstd-dev liblz4-dev liblzma-dev
python3 python3.11-dbg python3-numpy libc6-dbg procps tmux graphviz sqlite3 strace gdb zstd lz4 xz-utils"
if [ "$dev" = 1 ]; then
	PKGS="$PKGS clang libclang-rt-14-dev valgrind clang-format"
fi
# Node.js and npm install memlab, which reads the heapsnapshot export in
# the tests; any Node will do
command -v node >/dev/null || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	if [ "$(id -u)" = 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null; then
		SUDO="sudo"
	else
		echo "setup: need root or sudo to install:$missing" >&2
		exit 1
	fi
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

flags="${CONFIGURE_FLAGS:-}"
# CI builds with warnings as errors.
if [ "${CI:-}" = true ]; then
	flags="$flags --enable-werror"
fi
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ -n "${CONFIGURE_FLAGS:-}" ] || [ "${CI:-}" = true ]; then
	./configure -q $flags
fi
make -j"$(nproc)"
