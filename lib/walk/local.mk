# lib/walk/: every object into a heap graph; a capture from freeze to walk.
lib_libheapscope_a_SOURCES += \
	lib/walk/walk.c \
	lib/walk/walk.h \
	lib/walk/walk_internal.h \
	lib/walk/walk_type.c \
	lib/walk/walk_refs.c \
	lib/walk/walk_value.c \
	lib/walk/walk_sizeof.c \
	lib/walk/walk_ft.c \
	lib/walk/capture.c \
	lib/walk/capture.h
