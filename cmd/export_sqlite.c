/*
 * export_sqlite.c - heapscope export --format sqlite: the heap graph as an
 * SQLite database, for ad-hoc questions in SQL.
 *
 *   meta(key, value)             pid, python, exe, cmdline, capture_time...
 *   types(id, name, address, object, count, size)
 *   objects(id, address, type, size, refcount, value, flags, retained,
 *           dominator)               retained: bytes freed with it (0:
 *                                    unreachable); dominator: its
 *                                    immediate dominator's id, NULL when
 *                                    no single object keeps it alive
 *   edges(src, dst, name, kind)  kind: 'strong', 'weak', 'scanned' or 'borrowed'
 *   roots(obj, kind, label, edge)
 *   flags(bit, name)             what objects.flags' bits mean
 *
 * objects.id is the object's index (edges.src/dst, roots.obj,
 * types.object refer to it), objects.type a types.id.  value is TEXT,
 * or a BLOB for bytes objects and for str values that are not valid
 * UTF-8 (a lone surrogate), so that no reader meets broken text.
 * Indexes on objects(address), objects(type), edges(src), edges(dst) and
 * roots(obj), made after the rows.
 *
 * The file is the temporary file export.c renames into place, written
 * directly in SQLite's file format (sqlite_file.h), without the library:
 * the rows come in id order and each index's keys are sorted here, so
 * every page is written once.  The same heap always makes the same bytes.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"
#include "base/bigmem.h"
#include "base/task.h"
#include "sqlite_file.h"

#define NFLAGS 8

/* The tables and indexes, in the order sqlite_schema lists them, with
 * the statements SQLite would have stored for them. */
enum {
	T_META,
	I_META_KEY, /* meta's PRIMARY KEY */
	T_TYPES,
	T_OBJECTS,
	T_EDGES,
	T_ROOTS,
	T_FLAGS,
	I_OBJECTS_ADDRESS,
	I_OBJECTS_TYPE,
	I_EDGES_SRC,
	I_EDGES_DST,
	I_ROOTS_OBJ,
	N_SCHEMA
};

static const struct {
	const char *name, *table, *sql;
} schema[N_SCHEMA] = {
	[T_META] = { "meta", "meta", "CREATE TABLE meta(key TEXT PRIMARY KEY, value)" },
	[I_META_KEY] = { "sqlite_autoindex_meta_1", "meta", NULL },
	[T_TYPES] = { "types", "types",
		      "CREATE TABLE types(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
		      "address INTEGER, object INTEGER, count INTEGER NOT NULL, "
		      "size INTEGER NOT NULL)" },
	[T_OBJECTS] = { "objects", "objects",
			"CREATE TABLE objects(id INTEGER PRIMARY KEY, address INTEGER NOT NULL, "
			"type INTEGER NOT NULL, size INTEGER NOT NULL, refcount INTEGER NOT "
			"NULL, value, flags INTEGER NOT NULL, retained INTEGER NOT NULL, "
			"dominator INTEGER)" },
	[T_EDGES] = { "edges", "edges",
		      "CREATE TABLE edges(src INTEGER NOT NULL, dst INTEGER NOT NULL, "
		      "name TEXT NOT NULL, kind TEXT NOT NULL)" },
	[T_ROOTS] = { "roots", "roots",
		      "CREATE TABLE roots(obj INTEGER NOT NULL, kind TEXT NOT NULL, "
		      "label TEXT NOT NULL, edge TEXT NOT NULL)" },
	[T_FLAGS] = { "flags", "flags",
		      "CREATE TABLE flags(bit INTEGER PRIMARY KEY, name TEXT NOT NULL)" },
	[I_OBJECTS_ADDRESS] = { "objects_address", "objects",
				"CREATE INDEX objects_address ON objects(address)" },
	[I_OBJECTS_TYPE] = { "objects_type", "objects",
			     "CREATE INDEX objects_type ON objects(type)" },
	[I_EDGES_SRC] = { "edges_src", "edges", "CREATE INDEX edges_src ON edges(src)" },
	[I_EDGES_DST] = { "edges_dst", "edges", "CREATE INDEX edges_dst ON edges(dst)" },
	[I_ROOTS_OBJ] = { "roots_obj", "roots", "CREATE INDEX roots_obj ON roots(obj)" },
};

static const char *const flag_names[NFLAGS] = {
	"gc",	   "immortal",	      "root",	"held-from-outside", "size-estimated",
	"scanned", "value-truncated", "broken",
};

#define NMETA 11

struct sq {
	struct sqlf *f;
	const struct heap *h;
	struct export *x;
	uint32_t root[N_SCHEMA];
	/* meta's rows, kept for its index */
	const char *meta_key[NMETA];
	unsigned nmeta;
};

static int fail(struct sq *q, const char *what)
{
	export_progress_end(q->x);
	fprintf(stderr, "heapscope: cannot write the database (%s): %s\n", what, strerror(errno));
	return -1;
}

/* 1 if s is valid UTF-8 (surrogates and overlong forms are not). */
static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, n, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 4, cp = c & 0x07;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

static struct sqlf_val text(const char *s)
{
	return sqlf_text(s, strlen(s));
}

static int end(struct sq *q, unsigned k)
{
	return sqlf_end(q->f, &q->root[k]) ? fail(q, schema[k].name) : 0;
}

static int put_meta(struct sq *q, const char *key, const char *value, long long num)
{
	struct sqlf_val v[2] = { text(key), value ? text(value) : sqlf_int(num) };

	q->meta_key[q->nmeta++] = key;
	return sqlf_row(q->f, q->nmeta, v, 2) ? fail(q, "meta") : 0;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_meta(struct sq *q)
{
	const struct heap *h = q->h;
	const struct heap_meta *m = &h->meta;
	const char *sorted[NMETA];
	unsigned k;

	if (sqlf_table_begin(q->f))
		return fail(q, "meta");
	if (put_meta(q, "pid", NULL, m->pid) ||
	    put_meta(q, "python", heap_str(h, m->version, NULL), 0) ||
	    put_meta(q, "exe", heap_str(h, m->exe, NULL), 0) ||
	    put_meta(q, "cmdline", heap_str(h, m->cmdline, NULL), 0) ||
	    put_meta(q, "capture_time", NULL, m->capture_time) ||
	    put_meta(q, "mode", heap_mode_name(m->mode), 0) ||
	    put_meta(q, "pause_us", NULL, (long long)(m->pause_ns / 1000)) ||
	    put_meta(q, "warnings", NULL, m->warnings) ||
	    put_meta(q, "first_warning", heap_str(h, m->warning, NULL), 0) ||
	    put_meta(q, "objects", NULL, (long long)h->nobj) ||
	    put_meta(q, "edges", NULL, (long long)h->nedge) || end(q, T_META))
		return -1;
	/* its PRIMARY KEY: (key, rowid), keys in memcmp order */
	memcpy(sorted, q->meta_key, sizeof(sorted));
	qsort(sorted, NMETA, sizeof(*sorted), cmp_text);
	if (sqlf_index_begin(q->f, NMETA))
		return fail(q, "meta");
	for (k = 0; k < NMETA; k++) {
		unsigned row = 0;
		struct sqlf_val v[2];

		while (q->meta_key[row] != sorted[k])
			row++;
		v[0] = text(sorted[k]);
		v[1] = sqlf_int(row + 1);
		if (sqlf_key(q->f, v, 2))
			return fail(q, "meta");
	}
	return end(q, I_META_KEY);
}

static int write_types(struct sq *q)
{
	const struct heap *h = q->h;
	uint64_t *count = calloc(2 * h->ntype + 1, sizeof(*count)), *size = count + h->ntype;
	size_t i;
	int r = 0;

	if (!count || sqlf_table_begin(q->f)) {
		free(count);
		return fail(q, "types");
	}
	for (i = 0; i < h->nobj; i++)
		if (h->obj[i].type < h->ntype) {
			count[h->obj[i].type]++;
			size[h->obj[i].type] += heap_size(h, (uint32_t)i);
		}
	for (i = 0; i < h->ntype && !r; i++) {
		size_t len;
		const char *name = heap_str(h, h->types[i].name, &len);
		struct sqlf_val v[6] = {
			sqlf_null(), /* id is the rowid */
			sqlf_text(name, len),
			sqlf_int((int64_t)h->types[i].addr),
			h->types[i].obj != HEAP_NONE ? sqlf_int(h->types[i].obj) : sqlf_null(),
			sqlf_int((int64_t)count[i]),
			sqlf_int((int64_t)size[i]),
		};

		if (sqlf_row(q->f, (int64_t)i, v, 6))
			r = fail(q, "types");
	}
	free(count);
	return r ? r : end(q, T_TYPES);
}

static int write_objects(struct sq *q)
{
	const struct heap *h = q->h;
	uint32_t i, bytes = HEAP_NONE, t;

	for (t = 0; t < h->ntype; t++)
		if (!strcmp(heap_str(h, h->types[t].name, NULL), "bytes"))
			bytes = t;
	if (sqlf_table_begin(q->f))
		return fail(q, "objects");
	for (i = 0; i < h->nobj; i++) {
		const struct heap_obj *o = &h->obj[i];
		struct sqlf_val v[9] = {
			sqlf_null(), /* id is the rowid */
			sqlf_int((int64_t)o->addr),
			sqlf_int(o->type),
			sqlf_int((int64_t)heap_size(h, i)),
			sqlf_int(o->refcnt),
			sqlf_null(),
			sqlf_int(h->flags[i]),
			sqlf_int((int64_t)h->retained[i]),
			h->idom[i] != HEAP_NONE ? sqlf_int(h->idom[i]) : sqlf_null(),
		};

		if (o->value != HEAP_NONE) {
			size_t len;
			const char *s = heap_str(h, o->value, &len);

			if (o->type == bytes || !valid_utf8((const unsigned char *)s, len))
				v[5] = sqlf_blob(s, len);
			else
				v[5] = sqlf_text(s, len);
		}
		if (sqlf_row(q->f, i, v, 9))
			return fail(q, "objects");
		if (!(i & 0xffff))
			export_progress(q->x, "objects", i, h->nobj);
	}
	return end(q, T_OBJECTS);
}

/* Edge e's row is e + 1, as rowids begin at 1. */
static int write_edges(struct sq *q)
{
	const struct heap *h = q->h;
	char name[300];
	uint32_t i, e;

	if (sqlf_table_begin(q->f))
		return fail(q, "edges");
	for (i = 0; i < h->nobj; i++) {
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			struct sqlf_val v[4] = { sqlf_int(i), sqlf_int(h->edge_dst[e]) };

			heap_edge_text(h, h->edge_name[e], name, sizeof(name));
			v[2] = text(name);
			v[3] = text(heap_edge_kind_name(h->edge_name[e]));
			if (sqlf_row(q->f, (int64_t)e + 1, v, 4))
				return fail(q, "edges");
		}
		if (!(i & 0xffff))
			export_progress(q->x, "references", h->edge_start[i], h->nedge);
	}
	return end(q, T_EDGES);
}

static int write_roots(struct sq *q)
{
	const struct heap *h = q->h;
	char name[300];
	size_t k, len;

	if (sqlf_table_begin(q->f))
		return fail(q, "roots");
	for (k = 0; k < h->nroot; k++) {
		const struct heap_root *r = &h->roots[k];
		const char *label = heap_str(h, r->label, &len);
		struct sqlf_val v[4] = { sqlf_int(r->obj), text(heap_root_kind_name(r->kind)),
					 sqlf_text(label, len) };

		name[0] = '\0';
		if (r->name)
			heap_edge_text(h, r->name, name, sizeof(name));
		v[3] = text(name);
		if (sqlf_row(q->f, (int64_t)k + 1, v, 4))
			return fail(q, "roots");
	}
	return end(q, T_ROOTS);
}

static int write_flags(struct sq *q)
{
	unsigned k;

	if (sqlf_table_begin(q->f))
		return fail(q, "flags");
	for (k = 0; k < NFLAGS; k++) {
		struct sqlf_val v[2] = { sqlf_null(), text(flag_names[k]) };

		if (sqlf_row(q->f, 1 << k, v, 2))
			return fail(q, "flags");
	}
	return end(q, T_FLAGS);
}

/* ---- indexes: (column, rowid) in ascending order ---- */

static int key2(struct sq *q, int64_t a, int64_t rowid, const char *what)
{
	struct sqlf_val v[2] = { sqlf_int(a), sqlf_int(rowid) };

	return sqlf_key(q->f, v, 2) ? fail(q, what) : 0;
}

struct addr_id {
	uint64_t key; /* the address, its sign bit flipped: SQLite's order */
	uint64_t id;
};

/* Byte k of (key, id) as one 128-bit number, most significant first. */
static unsigned digit(const struct addr_id *x, unsigned k)
{
	return (unsigned)((k < 8 ? x->key >> (56 - 8 * k) : x->id >> (56 - 8 * (k - 8))) & 255);
}

static int addr_id_less(const struct addr_id *x, const struct addr_id *y)
{
	return x->key < y->key || (x->key == y->key && x->id < y->id);
}

/*
 * a[0..n) in (key, id) order in place, from byte k on: each byte's
 * buckets counted, then permuted into place by following cycles
 * (American flag sort), then each bucket sorted by the next byte; a
 * byte every element shares costs one count.  Short ranges go by
 * insertion.  The recursion is as deep as the 16 bytes, whatever the
 * data.
 */
static void sort_from(struct addr_id *a, size_t n, unsigned k)
{
	size_t count[256], head[256], end[256], i, sum = 0;
	unsigned d;

	if (n < 32 || k >= 16) {
		for (i = 1; i < n && k < 16; i++) {
			struct addr_id x = a[i];
			size_t j = i;

			for (; j && addr_id_less(&x, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[digit(&a[i], k)]++;
	if (count[digit(&a[0], k)] == n) {
		sort_from(a, n, k + 1);
		return;
	}
	for (d = 0; d < 256; d++) {
		head[d] = sum;
		sum += count[d];
		end[d] = sum;
	}
	for (d = 0; d < 256; d++)
		while (head[d] < end[d]) {
			struct addr_id x = a[head[d]], t;
			unsigned b = digit(&x, k);

			while (b != d) {
				t = a[head[b]];
				a[head[b]++] = x;
				x = t;
				b = digit(&x, k);
			}
			a[head[d]++] = x;
		}
	for (d = 0, sum = 0; d < 256; sum += count[d++])
		if (count[d] > 1)
			sort_from(a + sum, count[d], k + 1);
}

/* The objects sorted by address, in one array of 16 bytes an object (the
 * ids break ties, which only a damaged file has); NULL without memory. */
static struct addr_id *sort_by_address(const struct heap *h)
{
	size_t n = h->nobj, i;
	struct addr_id *a = big_malloc((n ? n : 1) * sizeof(*a));

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		a[i] = (struct addr_id){ h->obj[i].addr ^ (UINT64_C(1) << 63), i };
	sort_from(a, n, 0);
	return a;
}

/* objects(address), from sort_by_address's array (freed here) */
static int write_address_index(struct sq *q, struct addr_id *a)
{
	size_t n = q->h->nobj, i;
	int r = 0;

	if (!a) {
		errno = ENOMEM;
		return fail(q, "objects_address");
	}
	if (sqlf_index_begin(q->f, n))
		r = fail(q, "objects_address");
	for (i = 0; i < n && !r; i++)
		r = key2(q, (int64_t)(a[i].key ^ (UINT64_C(1) << 63)), (int64_t)a[i].id,
			 "objects_address");
	free(a);
	return r ? r : end(q, I_OBJECTS_ADDRESS);
}

/* objects(type): a counting sort by type keeps ids ascending in each. */
static int write_type_index(struct sq *q)
{
	const struct heap *h = q->h;
	size_t n = h->nobj, i;
	uint32_t *start = calloc(h->ntype + 2, sizeof(*start));
	uint32_t *ids = big_malloc((n ? n : 1) * sizeof(*ids));
	int r = 0;

	if (!start || !ids) {
		free(start);
		free(ids);
		errno = ENOMEM;
		return fail(q, "objects_type");
	}
	/* load checked every type < ntype; the clamp only keeps it in bounds */
	for (i = 0; i < n; i++)
		start[(h->obj[i].type < h->ntype ? h->obj[i].type : h->ntype) + 1]++;
	for (i = 0; i <= h->ntype; i++)
		start[i + 1] += start[i];
	for (i = 0; i < n; i++)
		ids[start[h->obj[i].type < h->ntype ? h->obj[i].type : h->ntype]++] = (uint32_t)i;
	free(start);
	if (sqlf_index_begin(q->f, n))
		r = fail(q, "objects_type");
	for (i = 0; i < n && !r; i++)
		r = key2(q, h->obj[ids[i]].type, ids[i], "objects_type");
	free(ids);
	return r ? r : end(q, I_OBJECTS_TYPE);
}

/* edges(src): each object's edges' rows, in order */
static int write_src_index(struct sq *q)
{
	const struct heap *h = q->h;
	uint32_t i, e;

	if (sqlf_index_begin(q->f, h->nedge))
		return fail(q, "edges_src");
	for (i = 0; i < h->nobj; i++)
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++)
			if (key2(q, i, (int64_t)e + 1, "edges_src"))
				return -1;
	return end(q, I_EDGES_SRC);
}

/* The edges in order of destination, each destination's in edge order:
 * a counting sort (the load checked every destination); NULL without
 * memory. */
static uint32_t *sort_by_destination(const struct heap *h)
{
	size_t n = h->nobj, m = h->nedge, i, e;
	uint32_t *start = big_calloc(n + 1, sizeof(*start));
	uint32_t *by_dst = big_malloc((m ? m : 1) * sizeof(*by_dst));

	if (!start || !by_dst) {
		free(start);
		free(by_dst);
		return NULL;
	}
	for (e = 0; e < m; e++)
		start[h->edge_dst[e] + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (e = 0; e < m; e++)
		by_dst[start[h->edge_dst[e]]++] = (uint32_t)e;
	free(start);
	return by_dst;
}

/* edges(dst), from sort_by_destination's array (freed here) */
static int write_dst_index(struct sq *q, uint32_t *by_dst)
{
	const struct heap *h = q->h;
	size_t k;
	int r = 0;

	if (!by_dst) {
		errno = ENOMEM;
		return fail(q, "edges_dst");
	}
	if (sqlf_index_begin(q->f, h->nedge))
		r = fail(q, "edges_dst");
	for (k = 0; k < h->nedge && !r; k++)
		r = key2(q, h->edge_dst[by_dst[k]], (int64_t)by_dst[k] + 1, "edges_dst");
	free(by_dst);
	return r ? r : end(q, I_EDGES_DST);
}

static int cmp_root(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* roots(obj): (obj << 32 | row) sorted */
static int write_roots_index(struct sq *q)
{
	const struct heap *h = q->h;
	uint64_t *v = malloc((h->nroot ? h->nroot : 1) * sizeof(*v));
	size_t k;
	int r = 0;

	if (!v) {
		errno = ENOMEM;
		return fail(q, "roots_obj");
	}
	for (k = 0; k < h->nroot; k++)
		v[k] = (uint64_t)h->roots[k].obj << 32 | (k + 1);
	qsort(v, h->nroot, sizeof(*v), cmp_root);
	if (sqlf_index_begin(q->f, h->nroot))
		r = fail(q, "roots_obj");
	for (k = 0; k < h->nroot && !r; k++)
		r = key2(q, (int64_t)(v[k] >> 32), (int64_t)(v[k] & 0xffffffff), "roots_obj");
	free(v);
	return r ? r : end(q, I_ROOTS_OBJ);
}

static int write_schema(struct sq *q)
{
	unsigned k;

	for (k = 0; k < N_SCHEMA; k++)
		if (sqlf_schema(q->f,
				schema[k].sql && !strncmp(schema[k].sql, "CREATE TABLE", 12)
					? "table"
					: "index",
				schema[k].name, schema[k].table, q->root[k], schema[k].sql))
			return fail(q, "schema");
	return sqlf_finish(q->f) ? fail(q, "schema") : 0;
}

/*
 * The second core's work, while the first writes rows: the edges'
 * order by destination while the edges are written, then the
 * dominators while the edges' other index and the roots are.  The
 * objects' rows come after, alone: beside the file (mapped whole by
 * then) and the dominators' results, there is room for little more
 * within 1.5 times the file, and the sort by address comes once the
 * dominators are freed.
 */
struct helper {
	struct task task;
	struct heap *h;
	struct hs_error err;
	int failed;
	uint32_t *by_dst;
};

static void *dominators(void *p)
{
	struct helper *w = p;

	w->failed = heap_prepare(w->h, HEAP_NEED_DOMINATORS, &w->err);
	return NULL;
}

static void *destinations(void *p)
{
	struct helper *w = p;

	w->by_dst = sort_by_destination(w->h);
	return NULL;
}

/* Wait for it; -1 (its error printed) if it failed. */
static int helped(struct sq *q, struct helper *w)
{
	task_wait(&w->task);
	if (!w->failed)
		return 0;
	export_progress_end(q->x);
	cmd_fail(&w->err);
	return -1;
}

int export_sqlite(struct export *x)
{
	struct sq q = { .h = x->h, .x = x };
	struct helper w = { .h = x->h, .err = HS_ERROR_INIT };
	double t0 = cmd_clock();
	int r;

	if (!(q.f = sqlf_create(x->fd))) {
		fail(&q, "memory");
		return hs_exit_status(HS_EFILE);
	}
	task_start(&w.task, destinations, &w);
	r = write_meta(&q) || write_edges(&q);
	r = helped(&q, &w) || r;
	if (!r) {
		r = write_dst_index(&q, w.by_dst); /* frees it */
		w.by_dst = NULL;
	}
	cmd_timing("edges", t0);
	t0 = cmd_clock();
	if (!r) {
		task_start(&w.task, dominators, &w);
		r = write_src_index(&q) || write_roots(&q) || write_roots_index(&q) ||
		    write_flags(&q);
		r = helped(&q, &w) || r;
		cmd_timing("dominators and roots", t0);
	}
	t0 = cmd_clock();
	if (!r) {
		r = write_types(&q) || write_objects(&q) || write_type_index(&q);
		heap_forget_dominators(x->h);
		cmd_timing("objects", t0);
	}
	t0 = cmd_clock();
	if (!r) {
		export_progress(x, "indexes", 0, 0);
		r = write_address_index(&q, sort_by_address(x->h)) || write_schema(&q);
		cmd_timing("address index", t0);
	}
	free(w.by_dst);
	sqlf_free(q.f);
	if (r && w.failed)
		return hs_exit_status(w.err.code);
	return r ? hs_exit_status(HS_EFILE) : 0;
}
