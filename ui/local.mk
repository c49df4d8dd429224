# ui/: the ncurses browser, a library the heapscope command links.
noinst_LIBRARIES += ui/libheapscope-ui.a
ui_libheapscope_ui_a_CPPFLAGS = $(AM_CPPFLAGS) -DNCURSES_WIDECHAR=1
ui_libheapscope_ui_a_CFLAGS = $(AM_CFLAGS) $(NCURSESW_CFLAGS)
ui_libheapscope_ui_a_SOURCES = ui/ui.h ui/ui_internal.h ui/browser.c ui/findings.c ui/keys.c ui/text.c ui/row.c \
	ui/filter.c ui/filter.h \
	ui/view_types.c ui/view_instances.c ui/view_object.c ui/view_path.c \
	ui/view_threads.c ui/view_locals.c ui/view_help.c ui/view_garbage.c \
	ui/view_domtree.c ui/view_suspects.c ui/view_tasks.c ui/view_memory.c
