# lib/layout/: where every field lives: tables, DWARF, _Py_DebugOffsets, ELF.
lib_libheapscope_a_SOURCES += \
	lib/layout/layout.c \
	lib/layout/layout.h \
	lib/layout/layout_fields.h \
	lib/layout/layout_cache.c \
	lib/layout/layout_cache.h \
	lib/layout/layout_dwarf.c \
	lib/layout/layout_dwarf.h \
	lib/layout/layout_debugoffsets.c \
	lib/layout/layout_debugoffsets.h \
	lib/layout/elf_file.c \
	lib/layout/elf_file.h
