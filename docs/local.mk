dist_man_MANS += docs/heapscope.1
