EXTRA_DIST += bench/stacks_vs_gdb.sh
