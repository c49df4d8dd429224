# lib/heap/: the heap graph and its snapshot file.
lib_libheapscope_a_SOURCES += \
	lib/heap/heap.c \
	lib/heap/heap.h \
	lib/heap/snapshot.c \
	lib/heap/snapshot.h
