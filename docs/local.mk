dist_man_MANS += docs/heapscope.1
EXTRA_DIST += docs/snapshot-format.md docs/internals.md
