# cmd/: the heapscope command.  Everything but main() is a library, which
# the fuzzers (tests/fuzz/) link to run the commands as a user would.
noinst_LIBRARIES += cmd/libheapscope-cmd.a
cmd_libheapscope_cmd_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/ui \
	-DHS_DATADIR='"$(pkgdatadir)"' -DHS_SRCDIR='"$(abs_srcdir)"'
# One file per command (or family: export and its formats), what they
# share in options.c (every option, and cmd_parse), common.c, source.c
# and print.c.
cmd_libheapscope_cmd_a_SOURCES = cmd/cmd.h cmd/commands.c cmd/options.c cmd/common.c cmd/source.c \
	cmd/print.c cmd/json.c cmd/json.h \
	cmd/browse.c cmd/info.c cmd/stacks.c cmd/tasks.c cmd/snapshot.c cmd/top.c cmd/show.c \
	cmd/path.c cmd/objects.c cmd/suspects.c cmd/diff.c cmd/watch.c cmd/garbage.c \
	cmd/demo.c cmd/export.c cmd/export.h cmd/export_meliae.c cmd/export_dot.c \
	cmd/export_heapsnapshot.c cmd/export_sqlite.c cmd/pieces.c cmd/pieces.h \
	cmd/sqlite_file.c cmd/sqlite_file.h
HS_CMD_LIBS = cmd/libheapscope-cmd.a ui/libheapscope-ui.a $(HS_LIBS) $(NCURSESW_LIBS)

bin_PROGRAMS += heapscope
heapscope_SOURCES = cmd/main.c
heapscope_LDADD = $(HS_CMD_LIBS)
