/*
 * unit-layout - layout overlays, group summaries, field names, the
 * layout cache (round trip, corruption, wrong build-id), the built-in
 * tables' consistency (whatever versions offsets/ has: one table per
 * offsets/py3N.c, versions in order without a gap, each found by its
 * version and made from a build of it), and the JSON-free parts of the
 * error table.
 */
#include "config.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/error.h"
#include "layout/layout.h"
#include "layout/layout_cache.h"
#include "tap.h"

static void overlays(void)
{
	static struct layout l;
	int64_t a[LF_COUNT], b[LF_COUNT];
	char buf[64];
	int i, n;

	layout_init(&l, 3, 11);
	for (i = 0; i < LF_COUNT; i++) {
		a[i] = i;
		b[i] = -1;
	}
	b[LF_tstate_next] = 999;
	n = layout_overlay(&l, a, LS_TABLE);
	tap_ok(n == LF_COUNT && LAY(&l, tstate_next) == LF_tstate_next,
	       "a full overlay sets every field");
	n = layout_overlay(&l, b, LS_DEBUG_OFFSETS);
	tap_ok(n == 1 && LAY(&l, tstate_next) == 999 && l.src[LF_tstate_next] == LS_DEBUG_OFFSETS &&
		       l.src[LF_tstate_prev] == LS_TABLE,
	       "a later overlay replaces only the fields it has");
	layout_group_sources(&l, LG_THREAD, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "debug-offsets+table"), "group sources, most trusted first: %s", buf);
	layout_group_sources(&l, LG_CODE, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "table"), "untouched group keeps its source: %s", buf);
	layout_init(&l, 3, 11);
	layout_group_sources(&l, LG_GC, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "none") && !LAY_HAS(&l, gcstate_generations),
	       "an empty layout has no source and no fields");
}

static void names(void)
{
	int i, bad = 0;

	for (i = 0; i < LF_COUNT; i++)
		if (layout_field_by_name(layout_field_info[i].name) != i)
			bad++;
	tap_ok(!bad && layout_field_by_name("no_such_field") < 0,
	       "every field is found by its name, unknown names are not");
	tap_ok(layout_source_by_name("auto") == LS_NONE &&
		       layout_source_by_name("dwarf") == LS_DWARF &&
		       layout_source_by_name("table") == LS_TABLE &&
		       layout_source_by_name("debug-offsets") == LS_DEBUG_OFFSETS &&
		       layout_source_by_name("bogus") < 0,
	       "--layout words");
}

/* The folder of offsets/ in the source tree, or NULL. */
static const char *offsets_dir(char *buf, size_t len)
{
	const char *src = getenv("HS_SRCDIR");
	struct stat st;

	snprintf(buf, len, "%s/offsets", src && *src ? src : ".");
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

static void tables(void)
{
	const struct layout_table *const *t;
	const struct layout_table *first = layout_tables[0], *last = NULL;
	char want[32], dirbuf[4096];
	const char *dir;
	int ntab = 0, bad = 0, order = 0, found = 0, nfiles = 0, minor;
	struct dirent *de;
	DIR *d;

	for (t = layout_tables; *t; t++) {
		ntab++;
		/* what the lookup of the interpreter cannot do without */
		if ((*t)->v[LF_object_type] < 0 || (*t)->v[LF_runtime_interpreters_head] < 0 ||
		    (*t)->v[LF_interp_threads_head] < 0 || (*t)->v[LF_tstate_next] < 0 ||
		    (*t)->v[LF_type_name] < 0 || (*t)->v[LF_code_name] < 0)
			bad++;
		if (layout_table_find((*t)->major, (*t)->minor, (*t)->free_threaded) != *t)
			found++;
		/* a free-threaded table goes with the GIL table of its version */
		if ((*t)->free_threaded) {
			if (!layout_table_find((*t)->major, (*t)->minor, 0))
				order++;
			continue;
		}
		/* one version after the other, none twice, none left out */
		if (last && ((*t)->major != last->major || (*t)->minor != last->minor + 1))
			order++;
		/* made from a build of its own version (gen-offsets) */
		snprintf(want, sizeof(want), "CPython %d.%d.", (*t)->major, (*t)->minor);
		if (!(*t)->reference || strncmp((*t)->reference, want, strlen(want)))
			bad++, tap_diag("table %d.%d from %s", (*t)->major, (*t)->minor,
					(*t)->reference ? (*t)->reference : "(null)");
		last = *t;
	}
	tap_ok(ntab > 0 && !bad,
	       "%d tables, each with the fields needed to find threads, "
	       "each made from a build of its version",
	       ntab);
	if (!ntab)
		return;
	tap_ok(!order && !found && !layout_table_find(first->major, first->minor - 1, 0) &&
		       !layout_table_find(last->major, last->minor + 1, 0) &&
		       !layout_table_find(last->major + 1, 0, 0),
	       "tables found for %d.%d-%d.%d, in order, each once, and no other version",
	       first->major, first->minor, last->major, last->minor);
	/* offsets/py3N.c: each file in the tree is one of the tables */
	dir = offsets_dir(dirbuf, sizeof(dirbuf));
	d = dir ? opendir(dir) : NULL;
	if (!d) {
		tap_skip("no offsets/ folder here (HS_SRCDIR)");
		return;
	}
	bad = 0;
	while ((de = readdir(d)) != NULL) {
		int end = 0, ft = 0;

		/* py3N.c or py3Nt.c exactly: not regen.sh's py3N.c.tmp */
		if (sscanf(de->d_name, "py3%d.c%n", &minor, &end) != 1 || !end || de->d_name[end]) {
			end = 0;
			if (sscanf(de->d_name, "py3%dt.c%n", &minor, &end) != 1 || !end ||
			    de->d_name[end])
				continue;
			ft = 1;
		}
		nfiles++;
		if (!layout_table_find(3, minor, ft))
			bad++, tap_diag("%s/%s has no table in layout_tables", dir, de->d_name);
	}
	closedir(d);
	tap_ok(!bad && nfiles == ntab,
	       "every offsets/py3*.c is in layout_tables (%d files, %d "
	       "tables)",
	       nfiles, ntab);
}

static void cache(void)
{
	char dir[] = "/tmp/hs-unit-XXXXXX", fn[256];
	int64_t v[LF_COUNT], w[LF_COUNT];
	struct hs_error err = HS_ERROR_INIT;
	const char *id = "00112233445566778899aabbccddeeff00112233";
	struct stat st;
	FILE *f;
	int i;

	if (!mkdtemp(dir)) {
		tap_skip("layout cache: no temporary directory");
		return;
	}
	for (i = 0; i < LF_COUNT; i++)
		v[i] = (i % 3) ? i * 8 : -1;
	tap_ok(!layout_cache_store(dir, id, v, &err), "cache store: %s", err.msg);
	tap_ok(!layout_cache_load(dir, id, w) && !memcmp(v, w, sizeof(v)),
	       "cache round trip gives the same values");
	snprintf(fn, sizeof(fn), "%s/layout-%s", dir, id);
	tap_ok(!stat(fn, &st) && (st.st_mode & 0777) == 0600, "cache file is 0600");
	tap_ok(layout_cache_load(dir, "ffff", w), "another build-id misses");
	tap_ok(layout_cache_load(dir, "../../etc/passwd", w), "a build-id that is not hex misses");
	/* corrupt: truncate in the middle */
	if (truncate(fn, st.st_size / 2) == 0)
		tap_ok(layout_cache_load(dir, id, w) != 0, "a truncated cache file misses");
	f = fopen(fn, "w");
	if (f) {
		fprintf(f, "heapscope-layout 1 %s %d\ntstate_next banana\n", id, LF_COUNT);
		fclose(f);
		tap_ok(layout_cache_load(dir, id, w) != 0, "a garbled cache file misses");
	}
	unlink(fn);
	rmdir(dir);
}

static void errors(void)
{
	struct hs_error err = HS_ERROR_INIT;

	hs_error_set(&err, HS_ENOPROC, "first %d", 1);
	hs_error_set(&err, HS_EREAD, "second");
	tap_ok(err.code == HS_ENOPROC && !strcmp(err.msg, "first 1"), "the first error set wins");
	tap_ok(hs_exit_status(HS_OK) == 0 && hs_exit_status(HS_EUSAGE) == 2 &&
		       hs_exit_status(HS_ENOPROC) != hs_exit_status(HS_EPERM) &&
		       hs_exit_status((enum hs_code)999) == hs_exit_status(HS_EINTERNAL),
	       "exit statuses are distinct and bounded");
}

int main(void)
{
	overlays();
	names();
	tables();
	cache();
	errors();
	return tap_done();
}
