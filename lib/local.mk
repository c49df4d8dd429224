# lib/: one static convenience library that cmd/, tests and tools link.
noinst_LIBRARIES += lib/libheapscope.a
lib_libheapscope_a_CFLAGS = $(AM_CFLAGS) $(LIBELF_CFLAGS) $(LIBDWARF_CFLAGS) $(LIBUNWIND_CFLAGS)
# Each stage of the data flow is a folder (docs/internals.md), whose
# local.mk lists its files.
lib_libheapscope_a_SOURCES =
include $(srcdir)/lib/base/local.mk
include $(srcdir)/lib/target/local.mk
include $(srcdir)/lib/layout/local.mk
include $(srcdir)/lib/python/local.mk
include $(srcdir)/lib/walk/local.mk
include $(srcdir)/lib/heap/local.mk
include $(srcdir)/lib/analysis/local.mk
lib_libheapscope_a_SOURCES += \
	offsets/tables.c offsets/py38.c offsets/py39.c offsets/py310.c \
	offsets/py311.c offsets/py312.c offsets/py313.c offsets/py314.c offsets/py314t.c
nodist_lib_libheapscope_a_SOURCES = lib/python/syscall_names.h

# The x86-64 system call names of the build machine's kernel headers, as
# C initializers ([0] = "read",) for lib/python/syscall.c: made at build time,
# never typed by hand nor kept in the tree.
BUILT_SOURCES += lib/python/syscall_names.h
CLEANFILES += lib/python/syscall_names.h
lib/python/syscall_names.h: Makefile
	$(AM_V_GEN)$(MKDIR_P) lib/python && \
	echo '#include <asm/unistd_64.h>' | $(CPP) $(CPPFLAGS) -dM - | \
	$(AWK) '$$1 == "#define" && $$2 ~ /^__NR_[a-z0-9_]+$$/ && $$3 ~ /^[0-9]+$$/ { \
		print "\t[" $$3 "] = \"" substr($$2, 6) "\","; n++ } \
		END { if (n < 300) exit 1 }' > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

HS_LIBS = lib/libheapscope.a $(LIBDWARF_LIBS) $(LIBELF_LIBS) $(LIBUNWIND_LIBS) -lz \
	$(LIBZSTD_LIBS) $(LIBLZ4_LIBS) $(LIBLZMA_LIBS)
