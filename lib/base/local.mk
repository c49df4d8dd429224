# lib/base/: what every stage uses: errors, opening files.
lib_libheapscope_a_SOURCES += \
	lib/base/error.c \
	lib/base/error.h \
	lib/base/openfile.c \
	lib/base/openfile.h
