# lib/python/: the interpreter: its state, objects, frames, stacks.
lib_libheapscope_a_SOURCES += \
	lib/python/pyproc.c \
	lib/python/pyproc.h \
	lib/python/pyobj.c \
	lib/python/pyobj.h \
	lib/python/pydict.c \
	lib/python/gcinfo.c \
	lib/python/gcinfo.h \
	lib/python/linetable.c \
	lib/python/linetable.h \
	lib/python/locals.c \
	lib/python/locals.h \
	lib/python/stacks.c \
	lib/python/stacks.h \
	lib/python/unwind.c \
	lib/python/unwind.h \
	lib/python/unwind_target.c \
	lib/python/unwind_target.h \
	lib/python/syscall.c \
	lib/python/syscall.h \
	lib/python/source.c \
	lib/python/source.h \
	lib/python/waits.c \
	lib/python/waits.h \
	lib/python/obmalloc.c \
	lib/python/obmalloc.h \
	lib/python/glibc_malloc.c \
	lib/python/glibc_malloc.h \
	lib/python/memory.c \
	lib/python/memory.h
lib_libheapscope_a_SOURCES += \
	lib/python/mimalloc.c \
	lib/python/mimalloc.h
