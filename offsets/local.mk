# offsets/: per-minor-version layout tables, generated from DWARF of
# reference builds by gen-offsets (never edited by hand).
noinst_PROGRAMS += offsets/gen-offsets
offsets_gen_offsets_SOURCES = offsets/gen-offsets.c
offsets_gen_offsets_LDADD = $(HS_LIBS)

EXTRA_DIST += offsets/regen.sh

# Regenerate every table from the reference builds found on this machine.
.PHONY: offsets
offsets: offsets/gen-offsets$(EXEEXT)
	$(SHELL) $(srcdir)/offsets/regen.sh $(builddir)/offsets/gen-offsets$(EXEEXT) $(srcdir)/offsets
