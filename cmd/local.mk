# cmd/: the heapscope command.  Everything but main() is a library, which
# the fuzzers (tests/fuzz/) link to run the commands as a user would.
noinst_LIBRARIES += cmd/libheapscope-cmd.a
cmd_libheapscope_cmd_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/ui \
	-DHS_DATADIR='"$(pkgdatadir)"' -DHS_SRCDIR='"$(abs_srcdir)"' $(SQLITE3_CFLAGS)
cmd_libheapscope_cmd_a_SOURCES = cmd/commands.c cmd/cmd.h cmd/cmd_info.c cmd/cmd_stacks.c \
	cmd/cmd_demo.c cmd/json.c cmd/json.h cmd/common.c \
	cmd/source.c cmd/cmd_heap.c cmd/cmd_export.c cmd/cmd_browse.c \
	cmd/cmd_growth.c cmd/cmd_garbage.c cmd/cmd_suspects.c \
	cmd/export.h cmd/export_meliae.c cmd/export_dot.c \
	cmd/export_heapsnapshot.c cmd/export_sqlite.c
HS_CMD_LIBS = cmd/libheapscope-cmd.a ui/libheapscope-ui.a $(HS_LIBS) $(NCURSESW_LIBS) \
	$(SQLITE3_LIBS)

bin_PROGRAMS += heapscope
heapscope_SOURCES = cmd/main.c
heapscope_LDADD = $(HS_CMD_LIBS)
