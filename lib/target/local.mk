# lib/target/: the process (or image) read.  target.c: the interface
# every backend provides; block_cache.c: blocks of memory read in runs;
# fatal.c: what a fatal signal undoes; the live backend with what it asks
# /proc (target_ptrace*.c, proc.c, maps.c); memory we hold
# (target_image.c), mapped files (target_files.c), the copy (image.c),
# core files (target_core.c over core.c's reading of one; decompress.c).
lib_libheapscope_a_SOURCES += \
	lib/target/target.c \
	lib/target/target.h \
	lib/target/block_cache.c \
	lib/target/block_cache.h \
	lib/target/fatal.c \
	lib/target/fatal.h \
	lib/target/target_ptrace.c \
	lib/target/target_ptrace_diag.c \
	lib/target/target_ptrace_diag.h \
	lib/target/proc.c \
	lib/target/proc.h \
	lib/target/maps.c \
	lib/target/maps.h \
	lib/target/target_image.c \
	lib/target/target_files.c \
	lib/target/target_core.c \
	lib/target/core.c \
	lib/target/core.h \
	lib/target/decompress.c \
	lib/target/decompress.h \
	lib/target/image.c \
	lib/target/image.h
