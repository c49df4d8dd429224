bin_PROGRAMS += heapscope
heapscope_SOURCES = cmd/heapscope.c cmd/cmd.h cmd/cmd_info.c cmd/cmd_stacks.c \
	cmd/cmd_demo.c cmd/json.c cmd/json.h cmd/common.c \
	cmd/source.c cmd/cmd_heap.c cmd/cmd_export.c cmd/cmd_browse.c \
	cmd/cmd_growth.c cmd/cmd_garbage.c
heapscope_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(srcdir)/ui -DHS_DATADIR='"$(pkgdatadir)"' -DHS_SRCDIR='"$(abs_srcdir)"'
heapscope_LDADD = ui/libheapscope-ui.a $(HS_LIBS) $(NCURSESW_LIBS)
heapscope_SOURCES += cmd/cmd_suspects.c
heapscope_SOURCES += cmd/export.h cmd/export_meliae.c cmd/export_dot.c \
	cmd/export_heapsnapshot.c cmd/export_sqlite.c
heapscope_CPPFLAGS += $(SQLITE3_CFLAGS)
heapscope_LDADD += $(SQLITE3_LIBS)
