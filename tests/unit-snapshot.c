/*
 * unit-snapshot - heap graphs built in memory: snapshot files, edge names
 * and one-line summaries.
 *
 * A graph of a few thousand objects, with every array of struct heap
 * filled (sizes of 4 GiB and more among them), is written and loaded
 * back: it must come back equal, with its address index and reverse edges
 * rebuilt.  Writing must refuse an existing file (unless forced) and a
 * symlink, and leave no temporary file behind when it fails.  A small
 * snapshot cut at every length, with any one bit flipped, or replaced by
 * garbage must fail to load with HS_EFILE; damaged with its checksum made
 * right again, it must fail the same way or load into a graph every
 * reader can walk.  Then edge names and summaries on a small hand-built
 * graph whose answers are known.  (Queries: unit-query.)
 */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "heap/heap.h"
#include "analysis/query.h"
#include "heap/snapshot.h"
#include "analysis/suspects.h"
#include "tap.h"

static char tmpdir[PATH_MAX];

/* ---- helpers ---- */

#define PATH_LEN (PATH_MAX + 64)

/* name in the test directory, in buf (PATH_LEN bytes) */
static char *path_in(char *buf, const char *name)
{
	snprintf(buf, PATH_LEN, "%s/%s", tmpdir, name);
	return buf;
}

/* The same for a name used at once: valid until the fourth next call. */
static const char *in_dir(const char *name)
{
	static char buf[4][PATH_LEN];
	static int k;

	k = (k + 1) % 4;
	return path_in(buf[k], name);
}

/* The whole file, malloc'ed, or NULL. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *p;
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) || !(p = malloc((size_t)sb.st_size + 1))) {
		close(fd);
		return NULL;
	}
	k = read(fd, p, (size_t)sb.st_size);
	close(fd);
	if (k != sb.st_size) {
		free(p);
		return NULL;
	}
	*len = (size_t)k;
	return p;
}

static int spit(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t k;

	if (fd < 0)
		return -1;
	k = len ? write(fd, data, len) : 0;
	if (close(fd) || k != (ssize_t)len)
		return -1;
	return 0;
}

static int same_file(const char *path, const void *data, size_t len)
{
	size_t n;
	unsigned char *p = slurp(path, &n);
	int same = p && n == len && !memcmp(p, data, len);

	free(p);
	return same;
}

/* Load path into a fresh heap and release it: HS_OK if it loaded, else
 * the error code (-1 if it failed without one). */
static int load_code(const char *path)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	int rc;

	heap_init(&h);
	rc = snapshot_load(&h, path, &err);
	heap_release(&h);
	if (!rc)
		return HS_OK;
	return err.code != HS_OK ? (int)err.code : -1;
}

/* Temporary files of snapshot_begin left in the directory. */
static int count_temps(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".heapscope-", 11))
			n++;
	closedir(d);
	return n;
}

static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = in_dir(e->d_name);
		if (unlink(p))
			rmdir(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

static uint32_t str_of(struct heap *h, const char *s)
{
	return heap_intern(h, s, strlen(s));
}

static uint32_t name_of(struct heap *h, const char *s)
{
	return heap_name(h, s, strlen(s));
}

/* The string at off ends in its NUL and lies inside the blob. */
static int str_ok(const struct heap *h, uint32_t off)
{
	size_t len;
	const char *s = heap_str(h, off, &len);

	if (s[len])
		return 0;
	return !len || (s >= h->strings && s + len < h->strings + h->strings_len);
}

/* Every edge of the reverse table once, under its destination, with its
 * true source; as many under each object as a count of edge_dst says. */
static int check_reverse(const struct heap *h)
{
	uint32_t *cnt = calloc(h->nobj + 1, sizeof(*cnt));
	uint8_t *seen = calloc(h->nedge + 1, 1);
	size_t d, k, e;
	int bad = 0;

	if (!cnt || !seen || !h->rev_start || !h->rev_src || !h->rev_edge) {
		free(cnt);
		free(seen);
		return 1;
	}
	for (e = 0; e < h->nedge; e++)
		cnt[h->edge_dst[e]]++;
	if (h->rev_start[0] != 0 || h->rev_start[h->nobj] != h->nedge)
		bad++;
	for (d = 0; d < h->nobj && !bad; d++) {
		if (h->rev_start[d + 1] < h->rev_start[d] ||
		    h->rev_start[d + 1] - h->rev_start[d] != cnt[d]) {
			bad++;
			break;
		}
		for (k = h->rev_start[d]; k < h->rev_start[d + 1]; k++) {
			uint32_t s = h->rev_src[k];

			e = h->rev_edge[k];
			if (e >= h->nedge || seen[e]++ || h->edge_dst[e] != d || s >= h->nobj ||
			    e < h->edge_start[s] || e >= h->edge_start[s + 1])
				bad++;
		}
	}
	for (e = 0; e < h->nedge && !bad; e++)
		if (!seen[e])
			bad++;
	free(cnt);
	free(seen);
	return bad;
}

/* ---- a graph of every kind of record ---- */

#define BIG_N 3000
#define BIG_T 7
#define BIG_ADDR(i) (0x7f3a00000000ull + 64 * (uint64_t)(i))

static const char *const big_types[BIG_T] = { "dict",	 "str", "list",
					      "tuple",	 "int", "app.models.User",
					      "function" };

static uint64_t big_size(uint32_t i)
{
	if (i == 10)
		return 5ull << 30; /* 5 GiB */
	if (i == 1234)
		return UINT32_MAX; /* HEAP_BIG_SIZE itself */
	if (i == 2000)
		return UINT32_MAX - 1; /* the largest inline size */
	if (i == BIG_N - 1)
		return 1ull << 40;
	return 16 + (i * 37) % 1000;
}

static void big_value(uint32_t i, char *buf, size_t len)
{
	snprintf(buf, len, "value %u \x01\n", i);
}

static int build_big(struct heap *h, struct hs_error *err)
{
	static const unsigned root_kinds[] = { HR_MODULES,  HR_SYSDICT,	 HR_BUILTINS,
					       HR_THREAD,   HR_FRAME,	 HR_STATIC_TYPE,
					       HR_INTERNED, HR_IMMORTAL, HR_OUTSIDE };
	uint32_t t[BIG_T], nm[5], edges[8], i, k;
	struct heap_thread th;
	struct heap_frame fr;
	char text[64];

	heap_init(h);
	for (k = 0; k < BIG_T; k++)
		t[k] = heap_add_type(h, 0x555500000000ull + 0x400 * k, str_of(h, big_types[k]));
	nm[0] = name_of(h, "__dict__");
	nm[1] = name_of(h, "x");
	nm[2] = name_of(h, "'key'");
	nm[3] = name_of(h, "'k'");
	nm[4] = name_of(h, "self");
	edges[0] = HEAP_EDGE(HE_STRONG, HN_FIELD, nm[0]);
	edges[1] = HEAP_EDGE(HE_STRONG, HN_ATTR, nm[1]);
	edges[2] = HEAP_EDGE(HE_STRONG, HN_INDEX, 0); /* payload: random */
	edges[3] = HEAP_EDGE(HE_STRONG, HN_VALUE, nm[2]);
	edges[4] = HEAP_EDGE(HE_WEAK, HN_KEY, nm[3]);
	edges[5] = HEAP_EDGE(HE_SCANNED, HN_NONE, 0);
	edges[6] = HEAP_EDGE(HE_STRONG, HN_LOCAL, nm[4]);
	edges[7] = HEAP_EDGE(HE_STRONG, HN_INDEX, HEAP_PAYLOAD_MAX);
	for (i = 0; i < BIG_N; i++) {
		uint64_t size = big_size(i);
		int64_t refcnt = i == 5 ? -3 : i == 6 ? (int64_t)1 << 40 : (int64_t)(i % 50);
		unsigned flags = (unsigned)tap_rand() & 0xff & ~(unsigned)HO_ROOT;

		/* small sizes given here, big ones below by heap_set_size */
		if (heap_add_obj(h, BIG_ADDR(i), t[i % BIG_T], size < HEAP_BIG_SIZE ? size : 0,
				 refcnt, flags, err) != i)
			return -1;
		if (i % 3 == 0) {
			big_value(i, text, sizeof(text));
			h->obj[i].value = heap_add_string(h, text, strlen(text));
		}
	}
	for (i = 0; i < BIG_N; i++)
		if (big_size(i) >= HEAP_BIG_SIZE && heap_set_size(h, i, big_size(i), err))
			return -1;
	/* every fifth object and the last ones have no edges and are never
	 * begun: heap_begin_edges and heap_finish give them empty ranges */
	for (i = 0; i < BIG_N - 3; i++) {
		uint32_t n = (uint32_t)(tap_rand() % 7);

		if (i % 5 == 4)
			continue;
		if (heap_begin_edges(h, i, err))
			return -1;
		for (k = 0; k < n; k++) {
			uint32_t kind = (uint32_t)(tap_rand() % 8), name = edges[kind];

			if (kind == 2)
				name = HEAP_EDGE(HE_STRONG, HN_INDEX, tap_rand() % 100000);
			if (heap_add_edge(h, (uint32_t)(tap_rand() % BIG_N), name, err))
				return -1;
		}
	}
	for (k = 0; k < 4; k++)
		h->types[k].obj = 100 * k + 7;
	for (i = 0; i < 60; i++) {
		snprintf(text, sizeof(text), "root %u", i);
		if (heap_add_root(h, (i * 97) % BIG_N, root_kinds[i % 9], str_of(h, text),
				  i % 2 ? HEAP_EDGE(HE_STRONG, HN_LOCAL, nm[4]) : 0, err))
			return -1;
	}
	/* an unlabelled root gets label 0, the empty string */
	if (heap_add_root(h, 1, HR_OUTSIDE, HEAP_NONE, 0, err))
		return -1;
	memset(&th, 0, sizeof(th));
	th.thread_id = 0x7f3a11112222ull;
	th.tid = 4242;
	th.name = str_of(h, "MainThread");
	th.flags = 3;
	th.first_frame = 0;
	th.nframes = 2;
	if (heap_add_thread(h, &th, err))
		return -1;
	th.thread_id = 0x7f3a33334444ull;
	th.tid = 4243;
	th.name = str_of(h, "worker \xc3\xb6");
	th.flags = 0;
	th.first_frame = 2;
	th.nframes = 1;
	if (heap_add_thread(h, &th, err))
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "thread %u frame f%u", i < 2 ? 4242 : 4243, i);
		fr.function = str_of(h, i == 2 ? "Worker.run" : "main");
		fr.file = str_of(h, "app.py");
		fr.line = i == 1 ? -1 : (int32_t)(10 + i);
		fr.root_label = str_of(h, text);
		if (heap_add_frame(h, &fr, err))
			return -1;
	}
	{
		/* the worker waits for an RLock the main thread holds */
		struct heap_wait wt = { .lock = 0x7f0012345678ull,
					.count = 2,
					.owner = 0x7f3a11112222ull,
					.thread = 1,
					.holder = 0,
					.flags = 1,
					.frame = 0,
					.via = str_of(h, "Queue.get on Queue 0x7f00abc"),
					.held_at = str_of(h, "main (app.py:10)"),
					.how = str_of(h, "owner of the RLock") };

		if (heap_add_wait(h, &wt, err))
			return -1;
	}
	h->meta.pid = 31337;
	h->meta.capture_time = 1700000000;
	h->meta.pause_ns = 123456789;
	h->meta.walk_ns = 987654321;
	h->meta.copied_bytes = 5ull << 32;
	h->meta.py_major = 3;
	h->meta.py_minor = 12;
	h->meta.py_micro = 4;
	h->meta.mode = HC_FROZEN;
	h->meta.warnings = 2;
	h->meta.cmdline = str_of(h, "python3 -m app --port 8080");
	h->meta.exe = str_of(h, "/usr/bin/python3.12");
	h->meta.version = str_of(h, "3.12.4");
	h->meta.warning = str_of(h, "a dict changed while walked");
	h->meta.copy_us = 4321;
	return heap_finish(h, err);
}

/* n bytes at a and b are equal (NULL only when empty) */
static int same(const void *a, const void *b, size_t n)
{
	return !n || (a && b && !memcmp(a, b, n));
}

static void round_trip(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h1, h2;
	struct stat sb;
	char path[PATH_LEN];
	char text[64];
	size_t len;
	uint32_t i, k;
	int bad = 0, loaded;

	path_in(path, "big.hsnap");
	if (build_big(&h1, &err)) {
		tap_diag("building: %s", err.msg);
		bad++;
	}
	/* the graph is what was put in */
	for (i = 0; i < h1.nobj && !bad; i++)
		if (heap_size(&h1, i) != big_size(i) ||
		    (h1.obj[i].size == HEAP_BIG_SIZE) != (big_size(i) >= HEAP_BIG_SIZE))
			bad++, tap_diag("built size of %u", i);
	for (i = 0; i < h1.nroot; i++)
		if (!(h1.flags[h1.roots[i].obj] & HO_ROOT))
			bad++;
	tap_ok(!bad && h1.nobj == BIG_N && h1.nbig == 3 && h1.obj[5].refcnt == 0 &&
		       h1.obj[6].refcnt == UINT32_MAX && h1.nroot == 61 && h1.roots[60].label == 0,
	       "built: %zu objects, %zu edges, 3 sizes >= 4 GiB, refcounts saturated, roots "
	       "flagged",
	       h1.nobj, h1.nedge);

	heap_init(&h2);
	loaded = !snapshot_write(&h1, path, 0, &err) && !snapshot_load(&h2, path, &err) &&
		 !heap_prepare(&h1, HEAP_NEED_REVERSE | HEAP_NEED_INDEX, &err) &&
		 !heap_prepare(&h2, HEAP_NEED_REVERSE | HEAP_NEED_INDEX, &err);
	if (!loaded) {
		tap_diag("%s", err.msg);
		h2.nobj = 0;
	}
	bad = !loaded || h2.nobj != h1.nobj || h2.nbig != h1.nbig ||
	      !same(h1.obj, h2.obj, h1.nobj * sizeof(*h1.obj)) ||
	      !same(h1.flags, h2.flags, h1.nobj) ||
	      !same(h1.big, h2.big, h1.nbig * sizeof(*h1.big));
	for (i = 0; i < h2.nobj && !bad; i++) {
		size_t n;
		const char *v = heap_str(&h2, h2.obj[i].value, &n);

		big_value(i, text, sizeof(text));
		if (heap_size(&h2, i) != big_size(i) ||
		    (i % 3 == 0 ? n != strlen(text) || strcmp(v, text)
				: h2.obj[i].value != HEAP_NONE) ||
		    strcmp(heap_type_name(&h2, i), big_types[i % BIG_T]))
			bad++, tap_diag("loaded object %u", i);
	}
	tap_ok(!bad, "round trip: objects, flags, values and sizes (5 GiB, 2^32-1, 2^40)");
	bad = !loaded || h2.nedge != h1.nedge ||
	      !same(h1.edge_start, h2.edge_start, (h1.nobj + 1) * 4) ||
	      !same(h1.edge_dst, h2.edge_dst, h1.nedge * 4) ||
	      !same(h1.edge_name, h2.edge_name, h1.nedge * 4);
	tap_ok(!bad, "round trip: edge table, destinations and names");
	bad = !loaded || h2.ntype != h1.ntype || h2.nname != h1.nname || h2.nroot != h1.nroot ||
	      !same(h1.types, h2.types, h1.ntype * sizeof(*h1.types)) ||
	      !same(h1.names, h2.names, h1.nname * 4) ||
	      !same(h1.roots, h2.roots, h1.nroot * sizeof(*h1.roots));
	for (k = 0; k < h2.ntype && !bad; k++)
		if (heap_type_of_obj(&h2, 100 * k + 7) != (k < 4 ? k : HEAP_NONE))
			bad++;
	if (loaded && heap_type_of_obj(&h2, 8) != HEAP_NONE)
		bad++;
	tap_ok(!bad, "round trip: types (and type objects), edge names, roots");
	bad = !loaded || h2.nthread != 2 || h2.nframe != 3 || h2.strings_len != h1.strings_len ||
	      !same(h1.threads, h2.threads, 2 * sizeof(*h1.threads)) ||
	      !same(h1.frames, h2.frames, 3 * sizeof(*h1.frames)) ||
	      !same(h1.strings, h2.strings, h1.strings_len) ||
	      memcmp(&h1.meta, &h2.meta, sizeof(h1.meta)) ||
	      strcmp(heap_str(&h2, h2.meta.cmdline, &len), "python3 -m app --port 8080") ||
	      strcmp(heap_str(&h2, h2.meta.warning, NULL), "a dict changed while walked") ||
	      strcmp(heap_str(&h2, h2.threads[1].name, NULL), "worker \xc3\xb6");
	tap_ok(!bad, "round trip: threads, frames, strings (%zu bytes) and meta", h1.strings_len);
	bad = !loaded || h2.nwait != 1 || !same(h1.waits, h2.waits, sizeof(*h1.waits)) ||
	      strcmp(heap_str(&h2, h2.waits[0].held_at, NULL), "main (app.py:10)");
	tap_ok(!bad, "round trip: what a thread waits for");
	bad = !loaded;
	for (i = 0; i < h2.nobj; i++)
		if (heap_lookup(&h2, BIG_ADDR(i)) != i ||
		    heap_lookup(&h2, BIG_ADDR(i) + 8) != HEAP_NONE)
			bad++;
	if (heap_lookup(&h2, 0) != HEAP_NONE || heap_lookup(&h2, BIG_ADDR(BIG_N)) != HEAP_NONE)
		bad++;
	tap_ok(!bad, "round trip: heap_lookup finds every address, and nothing else");
	tap_ok(!check_reverse(&h1) && loaded && !check_reverse(&h2),
	       "reverse edges of the built and the loaded graph match a brute-force count");
	if (stat(path, &sb))
		memset(&sb, 0, sizeof(sb));
	tap_ok(S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600,
	       "the snapshot file has mode 0600 (%o)", (unsigned)(sb.st_mode & 07777));
	heap_release(&h2);
	heap_release(&h1);

	/* the empty graph */
	heap_init(&h1);
	heap_init(&h2);
	hs_error_clear(&err);
	bad = heap_finish(&h1, &err) || snapshot_write(&h1, in_dir("empty.hsnap"), 0, &err) ||
	      snapshot_load(&h2, in_dir("empty.hsnap"), &err) ||
	      heap_prepare(&h2, HEAP_NEED_REVERSE | HEAP_NEED_INDEX, &err) || h2.nobj || h2.nedge ||
	      h2.nroot || h2.edge_start[0] != 0 || h2.strings_len != 5 ||
	      heap_lookup(&h2, 0) != HEAP_NONE;
	tap_ok(!bad, "an empty graph round-trips");
	heap_release(&h2);
	heap_release(&h1);
}

/* ---- a small graph for the file tests ---- */

static int build_small(struct heap *h, struct hs_error *err)
{
	uint32_t tdict, tstr, nm;
	struct heap_thread th = { .thread_id = 77, .tid = 7, .nframes = 1 };
	struct heap_frame fr = { .line = 3 };

	heap_init(h);
	tdict = heap_add_type(h, 0x1000, str_of(h, "dict"));
	tstr = heap_add_type(h, 0x2000, str_of(h, "str"));
	nm = name_of(h, "'a'");
	if (heap_add_obj(h, 0x10000, tdict, 232, 1, HO_GC, err) != 0 ||
	    heap_add_obj(h, 0x10100, tstr, 0, 2, 0, err) != 1 ||
	    heap_add_obj(h, 0x10200, tstr, 60, 1, HO_IMMORTAL, err) != 2 ||
	    heap_add_obj(h, 0x10300, tdict, 0, 1, 0, err) != 3)
		return -1;
	h->obj[1].value = heap_add_string(h, "a", 1);
	h->obj[2].value = heap_add_string(h, "bee", 3);
	h->types[tdict].obj = 3;
	if (heap_set_size(h, 1, 6ull << 30, err) || heap_begin_edges(h, 0, err) ||
	    heap_add_edge(h, 1, HEAP_EDGE(HE_STRONG, HN_KEY, nm), err) ||
	    heap_add_edge(h, 2, HEAP_EDGE(HE_STRONG, HN_VALUE, nm), err) ||
	    heap_begin_edges(h, 2, err) ||
	    heap_add_edge(h, 0, HEAP_EDGE(HE_WEAK, HN_NONE, 0), err) ||
	    heap_add_root(h, 0, HR_MODULES, str_of(h, "sys.modules"), 0, err))
		return -1;
	th.name = str_of(h, "MainThread");
	fr.function = str_of(h, "<module>");
	fr.file = str_of(h, "m.py");
	fr.root_label = str_of(h, "frame");
	if (heap_add_thread(h, &th, err) || heap_add_frame(h, &fr, err))
		return -1;
	h->meta.pid = 99;
	h->meta.version = str_of(h, "3.11.2");
	return heap_finish(h, err);
}

static void writing(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct snapshot_out out;
	struct heap h, u;
	struct stat sb;
	char path[PATH_LEN], lnk[PATH_LEN], dangling[PATH_LEN];
	static const char keep[] = "not a snapshot\n";
	int rc, bad;

	path_in(path, "small.hsnap");
	path_in(lnk, "link.hsnap");
	path_in(dangling, "dangling.hsnap");
	if (build_small(&h, &err))
		tap_diag("building: %s", err.msg);
	/* an existing file: refused, untouched */
	spit(path, keep, sizeof(keep) - 1);
	rc = snapshot_write(&h, path, 0, &err);
	tap_ok(rc == -1 && err.code == HS_EFILE && same_file(path, keep, sizeof(keep) - 1) &&
		       load_code(path) == HS_EFILE && count_temps() == 0,
	       "an existing file is refused without SNAP_FORCE (HS_EFILE) and left as it was");
	hs_error_clear(&err);
	rc = snapshot_write(&h, path, SNAP_FORCE, &err);
	tap_ok(!rc && !same_file(path, keep, sizeof(keep) - 1) && load_code(path) == HS_OK &&
		       !stat(path, &sb) && (sb.st_mode & 07777) == 0600 && count_temps() == 0,
	       "SNAP_FORCE replaces it with a snapshot of mode 0600");

	/* symlinks, to a file and to nowhere: never written through */
	spit(in_dir("target"), keep, sizeof(keep) - 1);
	bad = symlink("target", lnk) || symlink("nowhere", dangling);
	hs_error_clear(&err);
	bad += snapshot_write(&h, lnk, 0, &err) != -1 || err.code != HS_EFILE;
	hs_error_clear(&err);
	bad += snapshot_write(&h, lnk, SNAP_FORCE, &err) != -1 || err.code != HS_EFILE;
	hs_error_clear(&err);
	bad += snapshot_write(&h, dangling, SNAP_FORCE, &err) != -1 || err.code != HS_EFILE;
	bad += lstat(lnk, &sb) || !S_ISLNK(sb.st_mode);
	bad += lstat(dangling, &sb) || !S_ISLNK(sb.st_mode);
	bad += !same_file(in_dir("target"), keep, sizeof(keep) - 1);
	bad += !lstat(in_dir("nowhere"), &sb);
	tap_ok(!bad && count_temps() == 0,
	       "a symlink (to a file or dangling) is refused even with SNAP_FORCE, not followed");

	/* failures after the temporary file exists, and before */
	bad = 0;
	hs_error_clear(&err);
	rc = snapshot_write(&h, in_dir("no-such-dir/x.hsnap"), 0, &err);
	bad += rc != -1 || err.code != HS_EFILE || !stat(in_dir("no-such-dir"), &sb);
	heap_init(&u); /* never finished */
	hs_error_clear(&err);
	rc = snapshot_write(&u, in_dir("unfinished.hsnap"), 0, &err);
	bad += rc != -1 || err.code != HS_EINTERNAL || !lstat(in_dir("unfinished.hsnap"), &sb);
	heap_release(&u);
	bad += mkdir(in_dir("adir"), 0700) != 0;
	hs_error_clear(&err);
	rc = snapshot_write(&h, in_dir("adir"), SNAP_FORCE, &err);
	bad += rc != -1 || err.code != HS_EFILE || stat(in_dir("adir"), &sb) ||
	       !S_ISDIR(sb.st_mode);
	tap_ok(!bad && count_temps() == 0,
	       "failed writes (no directory, unfinished graph, rename over a directory) leave "
	       "no .heapscope-* file");

	hs_error_clear(&err);
	rc = snapshot_begin(&out, in_dir("aborted.hsnap"), 0, &err);
	bad = rc || count_temps() != 1;
	snapshot_abort(&out);
	bad += count_temps() != 0 || !lstat(in_dir("aborted.hsnap"), &sb);
	tap_ok(!bad, "snapshot_begin creates the temporary file, snapshot_abort removes it");
	heap_release(&h);
}

/* ---- damaged files ---- */

#define HDR_SIZE 128
#define HDR_CHECKSUM 24

static uint64_t mix(uint64_t s, uint64_t w)
{
	s = (s ^ w) * 0x9e3779b97f4a7c15ull;
	return s ^ s >> 29;
}

/* The checksum of a version 4 file as docs/snapshot-format.md defines
 * it (four lanes, folded), to damage a file behind it. */
static uint64_t file_checksum(const unsigned char *p, size_t len)
{
	uint64_t lane[4], s = 0x6865617073636f70ull, w;
	size_t i, k;

	for (k = 0; k < 4; k++)
		lane[k] = s + k;
	for (i = HDR_SIZE, k = 0; i + 8 <= len; i += 8, k = (k + 1) % 4) {
		memcpy(&w, p + i, 8);
		lane[k] = mix(lane[k], w);
	}
	for (k = 0; k < 4; k++)
		s = mix(s, lane[k]);
	return s;
}

/* Every reader over a graph that loaded: must not crash, and every
 * string it hands out must be terminated inside the blob. */
static int walk_readers(struct heap *h)
{
	struct hs_error err = HS_ERROR_INIT;
	struct type_stat *st;
	uint64_t cnt, size;
	uint32_t *path, *edges, root, k;
	size_t i, n;
	char buf[256];
	int bad = 0;

	for (i = 0; i < h->nobj; i++) {
		bad += !str_ok(h, h->obj[i].value);
		heap_size(h, (uint32_t)i);
		heap_type_of_obj(h, (uint32_t)i);
		bad += strlen(heap_type_name(h, (uint32_t)i)) >= h->strings_len;
		heap_summary(h, (uint32_t)i, buf, sizeof(buf));
		bad += strlen(buf) >= sizeof(buf);
		k = heap_lookup(h, h->obj[i].addr);
		bad += k == HEAP_NONE || h->obj[k].addr != h->obj[i].addr;
		if (query_path(h, (uint32_t)i, &path, &edges, &n, &root, &err) < 0)
			bad++;
		else if (n && (root >= h->nroot || path[0] != h->roots[root].obj))
			bad++;
		free(path);
		free(edges);
	}
	for (i = 0; i < h->nedge; i++)
		heap_edge_text(h, h->edge_name[i], buf, sizeof(buf));
	for (i = 0; i < h->ntype; i++)
		bad += !str_ok(h, h->types[i].name);
	for (i = 0; i < h->nname; i++)
		bad += !str_ok(h, h->names[i]);
	for (i = 0; i < h->nroot; i++) {
		bad += !str_ok(h, h->roots[i].label);
		heap_edge_text(h, h->roots[i].name, buf, sizeof(buf));
		heap_root_kind_name(h->roots[i].kind);
	}
	for (i = 0; i < h->nthread; i++)
		bad += !str_ok(h, h->threads[i].name);
	for (i = 0; i < h->nframe; i++)
		bad += !str_ok(h, h->frames[i].function) + !str_ok(h, h->frames[i].file) +
		       !str_ok(h, h->frames[i].root_label);
	bad += !str_ok(h, h->meta.cmdline) + !str_ok(h, h->meta.exe) + !str_ok(h, h->meta.version) +
	       !str_ok(h, h->meta.warning);
	if (query_histogram(h, HIST_BY_SIZE, &st, &n, &cnt, &size, &err))
		bad++;
	else
		free(st);
	bad += cnt != h->nobj;
	/* the dominator tree: a dominator retains more than what it dominates */
	if (heap_prepare(h, HEAP_NEED_DOMINATORS, &err)) {
		bad++;
	} else {
		struct suspect *sus = NULL;

		st = NULL;
		for (i = 0; i < h->nobj; i++)
			bad += heap_reachable(h, (uint32_t)i) && h->idom[i] != HEAP_NONE &&
			       (h->idom[i] >= h->nobj || h->retained[h->idom[i]] < h->retained[i]);
		if (query_histogram(h, HIST_BY_RETAINED, &st, &n, &cnt, &size, &err) ||
		    suspects_find(h, 0.01, 0, &sus, &n, &err))
			bad++;
		else
			free(sus);
		free(st);
	}
	return bad;
}

static void damaged(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	char path[PATH_LEN], cut[PATH_LEN];
	unsigned char *full, *junk;
	size_t size, len, pos, step;
	uint64_t sum;
	int bad, bit, fd, loads = 0, walked = 0, refused = 0, v, rc, sane;

	/* writing() left a snapshot of the small graph at path */
	full = slurp(path_in(path, "small.hsnap"), &size);
	path_in(cut, "damaged.hsnap");
	if (!full || size < HDR_SIZE) {
		tap_diag("no small snapshot to damage");
		size = 0;
	}
	tap_diag("the small snapshot: %zu bytes", size);

	bad = !size;
	for (len = 0; len < size; len++) {
		spit(cut, full, len);
		if (load_code(cut) != HS_EFILE && bad++ < 4)
			tap_diag("cut to %zu bytes: not HS_EFILE", len);
	}
	tap_ok(!bad, "every truncation (0 to %zu of %zu bytes) fails with HS_EFILE",
	       size ? size - 1 : 0, size);
	junk = calloc(1, size + 8);
	if (size)
		memcpy(junk, full, size);
	spit(cut, junk, size + 8);
	bad = load_code(cut) != HS_EFILE;
	spit(cut, junk, size + 1);
	bad += load_code(cut) != HS_EFILE;
	tap_ok(!bad && size, "trailing bytes (1, 8) fail with HS_EFILE");

	/* one bit flipped at a time, everywhere (a stride over big files) */
	bad = !size || spit(cut, full, size);
	step = size > 8192 ? size / 8192 + 1 : 1;
	fd = open(cut, O_WRONLY | O_CLOEXEC);
	for (pos = 0; fd >= 0 && pos < size; pos += step) {
		for (bit = 0; bit < 8; bit++) {
			unsigned char b = (unsigned char)(full[pos] ^ (1u << bit));

			if (pwrite(fd, &b, 1, (off_t)pos) != 1)
				bad++;
			loads++;
			if (load_code(cut) != HS_EFILE && bad++ < 4)
				tap_diag("bit %d of byte %zu flipped: not HS_EFILE", bit, pos);
		}
		if (pwrite(fd, &full[pos], 1, (off_t)pos) != 1)
			bad++;
	}
	if (fd >= 0)
		close(fd);
	tap_ok(!bad && fd >= 0 && load_code(cut) == HS_OK,
	       "each of %d single-bit flips fails with HS_EFILE (the file restored loads)", loads);

	/* random bytes; things that are not files */
	free(junk);
	junk = malloc(4096);
	for (len = 0; len < 4096; len++)
		junk[len] = (unsigned char)tap_rand();
	bad = 0;
	spit(cut, junk, 4096);
	bad += load_code(cut) != HS_EFILE;
	spit(cut, junk, 100);
	bad += load_code(cut) != HS_EFILE;
	spit(cut, junk, 8);
	bad += load_code(cut) != HS_EFILE;
	bad += load_code(in_dir("adir")) != HS_EFILE;
	bad += load_code(in_dir("no-such-file")) != HS_EFILE;
	tap_ok(!bad, "random bytes (4096, 100, 8), a directory, a missing file: HS_EFILE");

	/* the magic, then garbage; then a plausible header over garbage */
	memcpy(junk, "HEAPSCP", 8);
	bad = 0;
	spit(cut, junk, 4096);
	bad += load_code(cut) != HS_EFILE;
	spit(cut, junk, 8);
	bad += load_code(cut) != HS_EFILE;
	if (size >= HDR_SIZE) {
		uint64_t fs = 4096;

		memcpy(junk, full, HDR_SIZE);
		memcpy(junk + 16, &fs, 8); /* file size: right */
		spit(cut, junk, 4096);
		bad += load_code(cut) != HS_EFILE;
		sum = file_checksum(junk, 4096);
		memcpy(junk + HDR_CHECKSUM, &sum, 8); /* and the checksum too */
		spit(cut, junk, 4096);
		bad += load_code(cut) != HS_EFILE;
	}
	tap_ok(!bad, "the magic then garbage, a valid header over garbage: HS_EFILE");
	free(junk);

	/* damage behind the checksum: refused, or a graph safe to read */
	sum = file_checksum(full, size);
	sane = size && !memcmp(&sum, full + HDR_CHECKSUM, 8);
	bad = !sane;
	junk = malloc(size ? size : 1);
	for (pos = HDR_SIZE; sane && pos < size; pos += step) {
		for (v = 0; v < 4; v++) {
			memcpy(junk, full, size);
			junk[pos] = v == 0   ? (unsigned char)(full[pos] ^ (1u << (pos % 8)))
				    : v == 1 ? 0
				    : v == 2 ? 0xff
					     : (unsigned char)(full[pos] + 1);
			if (junk[pos] == full[pos])
				continue;
			sum = file_checksum(junk, size);
			memcpy(junk + HDR_CHECKSUM, &sum, 8);
			spit(cut, junk, size);
			heap_init(&h);
			hs_error_clear(&err);
			rc = snapshot_load(&h, cut, &err);
			if (!rc)
				rc = heap_prepare(&h, HEAP_NEED_REVERSE | HEAP_NEED_INDEX, &err);
			if (!rc)
				walked++;
			else if (err.code == HS_EFILE)
				refused++;
			if ((rc ? err.code != HS_EFILE : walk_readers(&h) != 0) && bad++ < 4)
				tap_diag("byte %zu = 0x%02x: %s", pos, junk[pos],
					 rc ? err.msg : "loaded, but a reader failed");
			heap_release(&h);
		}
	}
	tap_ok(!bad,
	       "damage behind a recomputed checksum: %d refused (HS_EFILE), %d loaded "
	       "and read safely",
	       refused, walked);
	free(junk);
	free(full);
}

/* ---- edge names and summaries ---- */

static int text_is(const char *got, const char *want)
{
	if (!strcmp(got, want))
		return 1;
	tap_diag("got \"%s\", want \"%s\"", got, want);
	return 0;
}

static void texts(void)
{
	static const char long_str[] = "\x01\x02\x03 the quick brown fox '\\' 0123456789";
	struct hs_error err = HS_ERROR_INIT;
	struct heap h;
	uint32_t tstr, tdict, tlist, tbytes, tfunc, tobj, tint, nf, na, nk, nl, nq, nj, i;
	char buf[256], small[64];
	int bad = 0, len, o;

	heap_init(&h);
	tstr = heap_add_type(&h, 0x1000, str_of(&h, "str"));
	tdict = heap_add_type(&h, 0x2000, str_of(&h, "dict"));
	tlist = heap_add_type(&h, 0x3000, str_of(&h, "list"));
	tbytes = heap_add_type(&h, 0x4000, str_of(&h, "bytes"));
	tfunc = heap_add_type(&h, 0x5000, str_of(&h, "function"));
	tobj = heap_add_type(&h, 0x6000, str_of(&h, "object"));
	tint = heap_add_type(&h, 0x7000, str_of(&h, "int"));
	nf = name_of(&h, "__dict__");
	na = name_of(&h, "x");
	nk = name_of(&h, "'k'");
	nl = name_of(&h, "self");
	nq = name_of(&h, "__qualname__");
	nj = name_of(&h, "'j'");
	/* 0 str with control bytes, a quote, a backslash; 1 a dict of 2
	 * items; 2 a list of 3; 3 bytes with a NUL; 4 a function named by
	 * its __qualname__ (5); 6 the dict type object; 7 a plain object;
	 * 8 a truncated str; 9 an int whose text has a NUL; 10 a long str */
	bad += heap_add_obj(&h, 0x10000, tstr, 60, 1, 0, &err) != 0;
	bad += heap_add_obj(&h, 0x10100, tdict, 232, 1, 0, &err) != 1;
	bad += heap_add_obj(&h, 0x10200, tlist, 88, 1, 0, &err) != 2;
	bad += heap_add_obj(&h, 0x10300, tbytes, 36, 1, 0, &err) != 3;
	bad += heap_add_obj(&h, 0x10400, tfunc, 160, 1, 0, &err) != 4;
	bad += heap_add_obj(&h, 0x10500, tstr, 61, 1, 0, &err) != 5;
	bad += heap_add_obj(&h, 0x2000, tobj, 400, 1, 0, &err) != 6;
	bad += heap_add_obj(&h, 0x10700, tobj, 16, 1, 0, &err) != 7;
	bad += heap_add_obj(&h, 0x10800, tstr, 100, 1, HO_TRUNC, &err) != 8;
	bad += heap_add_obj(&h, 0x10900, tint, 28, 1, 0, &err) != 9;
	bad += heap_add_obj(&h, 0x10a00, tstr, 90, 1, 0, &err) != 10;
	h.obj[0].value = heap_add_string(&h, "hi\x01\n'\\", 6);
	h.obj[3].value = heap_add_string(&h, "ab\0", 3);
	h.obj[5].value = heap_add_string(&h, "f.<locals>.g", 12);
	h.obj[8].value = heap_add_string(&h, "abc", 3);
	h.obj[9].value = heap_add_string(&h, "12\0", 3);
	h.obj[10].value = heap_add_string(&h, long_str, sizeof(long_str) - 1);
	h.types[tdict].obj = 6;
	bad += heap_begin_edges(&h, 1, &err) != 0;
	bad += heap_add_edge(&h, 0, HEAP_EDGE(HE_STRONG, HN_KEY, nk), &err) != 0;
	bad += heap_add_edge(&h, 5, HEAP_EDGE(HE_STRONG, HN_VALUE, nk), &err) != 0;
	bad += heap_add_edge(&h, 8, HEAP_EDGE(HE_STRONG, HN_KEY, nj), &err) != 0;
	bad += heap_add_edge(&h, 9, HEAP_EDGE(HE_STRONG, HN_VALUE, nj), &err) != 0;
	bad += heap_begin_edges(&h, 2, &err) != 0;
	for (i = 0; i < 3; i++)
		bad += heap_add_edge(&h, 7, HEAP_EDGE(HE_STRONG, HN_INDEX, i), &err) != 0;
	bad += heap_add_edge(&h, 1, HEAP_EDGE(HE_STRONG, HN_FIELD, nf), &err) != 0;
	bad += heap_begin_edges(&h, 4, &err) != 0;
	bad += heap_add_edge(&h, 1, HEAP_EDGE(HE_STRONG, HN_FIELD, nf), &err) != 0;
	bad += heap_add_edge(&h, 5, HEAP_EDGE(HE_STRONG, HN_FIELD, nq), &err) != 0;
	bad += heap_finish(&h, &err) != 0;

	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_FIELD, nf), buf, sizeof(buf));
	bad += !text_is(buf, "__dict__");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_ATTR, na), buf, sizeof(buf));
	bad += !text_is(buf, ".x");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_INDEX, 3), buf, sizeof(buf));
	bad += !text_is(buf, "[3]");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_VALUE, nk), buf, sizeof(buf));
	bad += !text_is(buf, "['k']");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_KEY, nk), buf, sizeof(buf));
	bad += !text_is(buf, "key 'k'");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_LOCAL, nl), buf, sizeof(buf));
	bad += !text_is(buf, "self");
	tap_ok(!bad, "edge names: __dict__, .x, [3], ['k'], key 'k', self");
	bad = 0;
	heap_edge_text(&h, HEAP_EDGE(HE_WEAK, HN_ATTR, na), buf, sizeof(buf));
	bad += !text_is(buf, ".x");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_INDEX, HEAP_PAYLOAD_MAX), buf, sizeof(buf));
	bad += !text_is(buf, "[134217727]");
	heap_edge_text(&h, HEAP_EDGE(HE_SCANNED, HN_NONE, 0), buf, sizeof(buf));
	bad += !text_is(buf, "(scanned)");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_NONE, 0), buf, sizeof(buf));
	bad += !text_is(buf, "?");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_ATTR, h.nname), buf, sizeof(buf));
	bad += !text_is(buf, ".?");
	heap_edge_text(&h, HEAP_EDGE(HE_STRONG, HN_FIELD, nf), buf, 4);
	bad += !text_is(buf, "__d");
	bad += !text_is(heap_root_kind_name(HR_MODULES), "sys.modules") +
	       !text_is(heap_root_kind_name(HR_OUTSIDE), "held from outside") +
	       !text_is(heap_root_kind_name(0), "root") + !text_is(heap_root_kind_name(99), "root");
	tap_ok(!bad, "edge names: weak, big index, scanned, none, unknown name, short buffer; "
		     "root kind names");

	bad = 0;
	heap_summary(&h, 0, buf, sizeof(buf));
	bad += !text_is(buf, "'hi\\x01\\n\\'\\\\'");
	heap_summary(&h, 1, buf, sizeof(buf));
	bad += !text_is(buf, "{2 items}");
	tap_ok(!bad, "summaries: a str escaped ('hi\\x01\\n\\'\\\\'), a dict of {2 items}");
	bad = 0;
	heap_summary(&h, 2, buf, sizeof(buf));
	bad += !text_is(buf, "list of 3");
	heap_summary(&h, 3, buf, sizeof(buf));
	bad += !text_is(buf, "b'ab\\x00'");
	heap_summary(&h, 4, buf, sizeof(buf));
	bad += !text_is(buf, "<function f.<locals>.g>");
	heap_summary(&h, 6, buf, sizeof(buf));
	bad += !text_is(buf, "<class 'dict'>");
	heap_summary(&h, 7, buf, sizeof(buf));
	bad += !text_is(buf, "<object at 0x10700>");
	heap_summary(&h, 8, buf, sizeof(buf));
	bad += !text_is(buf, "'abc'...");
	heap_summary(&h, 9, buf, sizeof(buf));
	bad += !text_is(buf, "12\\x00");
	tap_ok(!bad, "summaries: list, bytes, function, class, plain object, truncated str, "
		     "a value with a NUL");

	/* every buffer size: terminated, nothing written past it */
	bad = 0;
	for (o = 0; o <= 10; o++) {
		for (len = 1; len < 48; len++) {
			memset(small, 0xa5, sizeof(small));
			heap_summary(&h, (uint32_t)o, small, (size_t)len);
			for (i = (uint32_t)len; i < sizeof(small); i++)
				bad += (unsigned char)small[i] != 0xa5;
			bad += memchr(small, '\0', (size_t)len) == NULL;
		}
	}
	tap_ok(!bad, "heap_summary into buffers of 1 to 47 bytes: terminated, never past");
	heap_release(&h);
}

/* A version 1 file (before the waits section) still loads, without
 * waits: the fuzzer's corpus holds files written then. */
static void version_1(void)
{
	struct hs_error err = HS_ERROR_INIT;
	const char *src = getenv("HS_SRCDIR");
	char path[4096];
	uint32_t version = 0;
	struct heap h;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/snapshot/zoo.hsnap",
		 src && *src ? src : ".");
	f = fopen(path, "rb");
	if (!f || fseek(f, 8, SEEK_SET) || fread(&version, 4, 1, f) != 1 || version != 1) {
		if (f)
			fclose(f);
		tap_skip("a version 1 file loads: no version 1 file in the corpus");
		return;
	}
	fclose(f);
	heap_init(&h);
	rc = snapshot_load(&h, path, &err);
	tap_ok(!rc && h.nobj > 0 && h.nwait == 0 && !h.waits,
	       "a version 1 file loads, without waits: %s", rc ? err.msg : "ok");
	heap_release(&h);
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	tap_seed(0x9e3779b97f4a7c15ull);
	umask(022);
	snprintf(tmpdir, sizeof(tmpdir), "%s/unit-snapshot-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		tap_ok(0, "cannot create a temporary directory under %s", t && *t ? t : "/tmp");
		return tap_done();
	}
	round_trip();
	writing();
	damaged();
	texts();
	version_1();
	remove_tmpdir();
	return tap_done();
}
