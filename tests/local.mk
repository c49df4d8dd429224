# make check: C unit tests and integration tests against real interpreters.
# Every test speaks TAP, so each case (per interpreter) is counted; a case
# that cannot run here is "ok N # SKIP reason".
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
TEST_EXTENSIONS = .py
PY_LOG_DRIVER = $(TAP_DRIVER)
PY_LOG_COMPILER = $(PYTHON3) -B
AM_TESTS_ENVIRONMENT = \
	HEAPSCOPE='$(abs_builddir)/heapscope'; \
	HS_SRCDIR='$(abs_srcdir)'; HS_BUILDDIR='$(abs_builddir)'; \
	PYTHONPATH='$(abs_srcdir)/tests'; \
	export HEAPSCOPE HS_SRCDIR HS_BUILDDIR PYTHONPATH;

# The C unit tests: tests/NAME is built from tests/NAME.c and lib/ (LDADD),
# and run by make check.  A new one is one line here; what needs more
# (sources, flags, libraries) says so below the list.
HS_UNIT_TESTS = \
	tests/unit-damaged \
	tests/unit-dominator \
	tests/unit-suspects \
	tests/unit-syscall \
	tests/unit-query \
	tests/unit-filter \
	tests/unit-linetable \
	tests/unit-layout \
	tests/unit-pyobj \
	tests/unit-snapshot \
	tests/unit-walk \
	tests/unit-garbage \
	tests/unit-diff \
	tests/unit-files \
	tests/unit-blockcache \
	tests/unit-maps \
	tests/unit-decimal \
	tests/unit-writeback
check_PROGRAMS += $(HS_UNIT_TESTS)
# every program without a _LDADD of its own links lib/
LDADD = $(HS_LIBS)
EXTRA_DIST += tests/tap.h

# unit-walk: the lying interpreter it shares with the walk fuzzer
tests_unit_walk_SOURCES = tests/unit-walk.c tests/walkimage.c tests/walkimage.h
# unit-filter: the browser's filter, from ui/
tests_unit_filter_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/ui
tests_unit_filter_LDADD = ui/libheapscope-ui.a $(HS_LIBS) $(NCURSESW_LIBS)
# unit-damaged: every command that reads a snapshot, as the snapshot
# fuzzer runs them, over the fuzzer's corpus
tests_unit_damaged_SOURCES = tests/unit-damaged.c tests/fuzz/snapcmds.c tests/fuzz/snapcmds.h \
	tests/fuzz/common.c tests/fuzz/fuzz.h
tests_unit_damaged_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/cmd -I$(srcdir)/tests \
	-DHS_SRCDIR='"$(abs_srcdir)"'
tests_unit_damaged_LDADD = $(HS_CMD_LIBS)

# unit-sqlitefile: cmd/'s SQLite file writer, read by the sqlite3 tool
HS_UNIT_TESTS += tests/unit-sqlitefile
tests_unit_sqlitefile_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/cmd
tests_unit_sqlitefile_LDADD = $(HS_CMD_LIBS)

# noptrace: a command under a seccomp filter that refuses ptrace (for
# test_faults.py); it needs nothing of lib/
check_PROGRAMS += tests/noptrace
tests_noptrace_SOURCES = tests/noptrace.c
tests_noptrace_LDADD =

HS_PY_TESTS = \
	tests/test_offsets.py \
	tests/test_info.py \
	tests/test_stacks.py \
	tests/test_native.py \
	tests/test_attach.py \
	tests/test_errors.py \
	tests/test_cli.py \
	tests/test_walk.py \
	tests/test_walk_stdlib.py \
	tests/test_sizeof.py \
	tests/test_memory.py \
	tests/test_summary.py \
	tests/test_locks.py \
	tests/test_waits.py \
	tests/test_locals.py \
	tests/test_tasks.py \
	tests/test_subprocesses.py \
	tests/test_core.py \
	tests/test_subinterp.py \
	tests/test_heap_cli.py \
	tests/test_browser.py \
	tests/test_garbage.py \
	tests/test_growth.py \
	tests/test_export.py \
	tests/test_retained.py \
	tests/test_faults.py \
	tests/test_files.py \
	tests/test_deaths.py
TESTS += $(HS_UNIT_TESTS) $(HS_PY_TESTS)
EXTRA_DIST += $(HS_PY_TESTS) tests/hstest.py
# memlab reads the heapsnapshot export: test_export.py installs it with
# npm into $XDG_CACHE_HOME/heapscope on first use
EXTRA_DIST += tests/memlab/package.json tests/memlab/check.js
include $(srcdir)/tests/fuzz/local.mk

# make check-valgrind: the C unit tests and the fuzzers' corpus replays
# under valgrind memcheck, at the small sizes of HS_TEST_QUICK (tap.h); a
# memory error or a leak (definite, indirect or possible) fails the test.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible
.PHONY: check-valgrind
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(HS_UNIT_TESTS) $(HS_FUZZ_TESTS)" \
		LOG_COMPILER="env HS_TEST_QUICK=1 $(VALGRIND)"
check_PROGRAMS += tests/unit-mimalloc
tests_unit_mimalloc_SOURCES = tests/unit-mimalloc.c tests/tap.h
tests_unit_mimalloc_LDADD = $(HS_LIBS)
HS_UNIT_TESTS += tests/unit-mimalloc
# mimalloc-dump: what lib/python/mimalloc.c finds in a live 3.14t, for
# test_mimalloc.py
check_PROGRAMS += tests/mimalloc-dump
tests_mimalloc_dump_SOURCES = tests/mimalloc-dump.c
tests_mimalloc_dump_LDADD = $(HS_LIBS)
HS_PY_TESTS += tests/test_mimalloc.py
