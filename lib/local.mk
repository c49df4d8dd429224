# lib/: one static convenience library that cmd/, tests and tools link.
noinst_LIBRARIES += lib/libheapscope.a
lib_libheapscope_a_CFLAGS = $(AM_CFLAGS) $(LIBELF_CFLAGS) $(LIBDWARF_CFLAGS) $(LIBUNWIND_CFLAGS)
lib_libheapscope_a_SOURCES = \
	lib/error.c lib/error.h lib/openfile.c lib/openfile.h \
	lib/layout.c lib/layout.h lib/layout_fields.h \
	lib/layout_cache.c lib/layout_cache.h \
	lib/target.c lib/target.h \
	lib/target_ptrace.c lib/target_ptrace_diag.c lib/target_internal.h \
	lib/target_image.c lib/target_files.c \
	lib/maps.c lib/maps.h \
	lib/elf.c lib/elf.h \
	lib/dwarf.c lib/dwarf.h \
	lib/debugoffsets.c lib/debugoffsets.h \
	lib/pyproc.c lib/pyproc.h \
	lib/pyobj.c lib/pyobj.h lib/pydict.c \
	lib/linetable.c lib/linetable.h \
	lib/stacks.c lib/stacks.h lib/syscall.c lib/syscall.h \
	lib/gcinfo.c lib/gcinfo.h \
	lib/unwind.c lib/unwind.h \
	lib/heap.c lib/heap.h lib/snapshot.c lib/snapshot.h \
	lib/image.c lib/image.h lib/capture.c lib/capture.h lib/query.c lib/query.h \
	lib/garbage.c lib/garbage.h lib/diff.c lib/diff.h \
	lib/dominator.c lib/dominator.h lib/suspects.c lib/suspects.h lib/suspects_words.c \
	lib/walk.c lib/walk.h lib/walk_internal.h lib/walk_type.c lib/walk_refs.c lib/walk_value.c \
	offsets/tables.c offsets/py38.c offsets/py39.c offsets/py310.c \
	offsets/py311.c offsets/py312.c offsets/py313.c
nodist_lib_libheapscope_a_SOURCES = lib/syscall_names.h

# The x86-64 system call names of the build machine's kernel headers, as
# C initializers ([0] = "read",) for lib/syscall.c: made at build time,
# never typed by hand nor kept in the tree.
BUILT_SOURCES += lib/syscall_names.h
CLEANFILES += lib/syscall_names.h
lib/syscall_names.h: Makefile
	$(AM_V_GEN)$(MKDIR_P) lib && \
	echo '#include <asm/unistd_64.h>' | $(CPP) $(CPPFLAGS) -dM - | \
	$(AWK) '$$1 == "#define" && $$2 ~ /^__NR_[a-z0-9_]+$$/ && $$3 ~ /^[0-9]+$$/ { \
		print "\t[" $$3 "] = \"" substr($$2, 6) "\","; n++ } \
		END { if (n < 300) exit 1 }' > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

HS_LIBS = lib/libheapscope.a $(LIBDWARF_LIBS) $(LIBELF_LIBS) $(LIBUNWIND_LIBS) -lz
