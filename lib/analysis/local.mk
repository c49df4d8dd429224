# lib/analysis/: what the graph says: queries, dominators, garbage, diff, suspects.
lib_libheapscope_a_SOURCES += \
	lib/analysis/query.c \
	lib/analysis/query.h \
	lib/analysis/dominator.c \
	lib/analysis/dominator.h \
	lib/analysis/garbage.c \
	lib/analysis/garbage.h \
	lib/analysis/diff.c \
	lib/analysis/diff.h \
	lib/analysis/suspects.c \
	lib/analysis/suspects.h \
	lib/analysis/tasks.c \
	lib/analysis/threads.c \
	lib/analysis/threads.h \
	lib/analysis/tasks.h \
	lib/analysis/suspects_words.c
