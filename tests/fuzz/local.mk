# tests/fuzz/: the fuzz harnesses (fuzz.h).
#
# make check builds them with the project's compiler over replay.c and
# replays their corpora (tests/fuzz/corpus/NAME), so that every input
# that once broke something stays a test.  make fuzz builds them with
# clang's libFuzzer, AddressSanitizer and UBSan into fuzz-build/ and runs
# each for FUZZ_TIME seconds (run.sh).
FUZZ_HARNESSES = snapshot walk elf core
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/common.c tests/fuzz/replay.c
FUZZ_REPLAY_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/cmd -I$(srcdir)/tests \
	-DHS_SRCDIR='"$(abs_srcdir)"'

check_PROGRAMS += tests/mksnap tests/fuzz/fuzz-snapshot tests/fuzz/fuzz-walk tests/fuzz/fuzz-elf \
	tests/fuzz/fuzz-core
tests_mksnap_SOURCES = tests/mksnap.c
tests_mksnap_LDADD = $(HS_LIBS)
tests_fuzz_fuzz_snapshot_SOURCES = tests/fuzz/fuzz-snapshot.c tests/fuzz/snapcmds.c \
	tests/fuzz/snapcmds.h $(FUZZ_COMMON)
tests_fuzz_fuzz_snapshot_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
tests_fuzz_fuzz_snapshot_LDADD = $(HS_CMD_LIBS)
tests_fuzz_fuzz_walk_SOURCES = tests/fuzz/fuzz-walk.c tests/walkimage.c tests/walkimage.h \
	$(FUZZ_COMMON)
tests_fuzz_fuzz_walk_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
tests_fuzz_fuzz_walk_LDADD = $(HS_LIBS)
tests_fuzz_fuzz_elf_SOURCES = tests/fuzz/fuzz-elf.c $(FUZZ_COMMON)
tests_fuzz_fuzz_elf_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
tests_fuzz_fuzz_elf_LDADD = $(HS_LIBS)
tests_fuzz_fuzz_core_SOURCES = tests/fuzz/fuzz-core.c $(FUZZ_COMMON)
tests_fuzz_fuzz_core_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
tests_fuzz_fuzz_core_LDADD = $(HS_LIBS)
HS_FUZZ_TESTS = tests/fuzz/fuzz-snapshot tests/fuzz/fuzz-walk tests/fuzz/fuzz-elf \
	tests/fuzz/fuzz-core
TESTS += $(HS_FUZZ_TESTS)
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/make-seeds.sh tests/fuzz/seed-structs.py \
	tests/fuzz/seed-core.py tests/fuzz/run.sh

# ---- make fuzz: libFuzzer builds ----------------------------------------
FUZZ_CC = clang
FUZZ_TIME = 300
FUZZ_DIR = fuzz-build
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_CPPFLAGS = -I$(builddir) -I$(builddir)/lib -I$(srcdir)/lib -I$(srcdir)/ui -I$(srcdir)/cmd \
	-I$(srcdir)/tests $(LIBELF_CFLAGS) $(LIBDWARF_CFLAGS) $(LIBUNWIND_CFLAGS) \
	$(NCURSESW_CFLAGS) -DNCURSES_WIDECHAR=1 \
	-DHS_DATADIR='"$(pkgdatadir)"' -DHS_SRCDIR='"$(abs_srcdir)"'
FUZZ_LIB_SRC = $(filter %.c,$(lib_libheapscope_a_SOURCES) $(cmd_libheapscope_cmd_a_SOURCES) \
	$(ui_libheapscope_ui_a_SOURCES))
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_MAIN_OBJ = $(FUZZ_DIR)/tests/fuzz/common.o
FUZZ_LIBS = $(LIBDWARF_LIBS) $(LIBELF_LIBS) $(LIBUNWIND_LIBS) -lz $(NCURSESW_LIBS) \
	$(LIBZSTD_LIBS) $(LIBLZ4_LIBS) $(LIBLZMA_LIBS)
FUZZ_HDRS = config.h lib/python/syscall_names.h $(wildcard $(srcdir)/lib/*/*.h $(srcdir)/cmd/*.h $(srcdir)/ui/*.h \
	$(srcdir)/tests/*.h $(srcdir)/tests/fuzz/*.h)

$(FUZZ_DIR)/%.o: $(srcdir)/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz-snapshot: $(FUZZ_DIR)/tests/fuzz/fuzz-snapshot.o $(FUZZ_DIR)/tests/fuzz/snapcmds.o \
		$(FUZZ_MAIN_OBJ) $(FUZZ_LIB_OBJ)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)
$(FUZZ_DIR)/fuzz-walk: $(FUZZ_DIR)/tests/fuzz/fuzz-walk.o $(FUZZ_DIR)/tests/walkimage.o \
		$(FUZZ_MAIN_OBJ) $(FUZZ_LIB_OBJ)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)
$(FUZZ_DIR)/fuzz-elf: $(FUZZ_DIR)/tests/fuzz/fuzz-elf.o $(FUZZ_MAIN_OBJ) $(FUZZ_LIB_OBJ)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)
$(FUZZ_DIR)/fuzz-core: $(FUZZ_DIR)/tests/fuzz/fuzz-core.o $(FUZZ_MAIN_OBJ) $(FUZZ_LIB_OBJ)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/fuzz-%)
fuzz: fuzz-build
	$(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_DIR) $(srcdir)/tests/fuzz/corpus \
		$(FUZZ_TIME) $(FUZZ_HARNESSES)

clean-local: clean-fuzz
.PHONY: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
