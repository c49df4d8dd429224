EXTRA_DIST += bench/stacks_vs_gdb.sh
EXTRA_DIST += bench/heap_vs_inprocess.py
EXTRA_DIST += bench/diff.py
EXTRA_DIST += bench/dominators.py
EXTRA_DIST += bench/benchlib.py
EXTRA_DIST += bench/waits.sh
EXTRA_DIST += bench/tasks.sh
EXTRA_DIST += bench/core.sh
