# lib/base/: what every stage uses: errors, opening files, big arrays,
# decimal text, helper threads, big files written.
lib_libheapscope_a_SOURCES += \
	lib/base/bigmem.c \
	lib/base/bigmem.h \
	lib/base/decimal.c \
	lib/base/decimal.h \
	lib/base/error.c \
	lib/base/error.h \
	lib/base/openfile.c \
	lib/base/openfile.h \
	lib/base/task.c \
	lib/base/task.h \
	lib/base/writeback.c \
	lib/base/writeback.h
