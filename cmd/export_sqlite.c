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
 * The file is the temporary file export.c renames into place: written
 * in one transaction with prepared statements, without journal or syncs
 * (nothing to recover: a failure removes the file).  SQLite runs nothing
 * else.
 */
#include "config.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"

static const char schema[] =
	"PRAGMA journal_mode=OFF;"
	"PRAGMA synchronous=OFF;"
	"PRAGMA locking_mode=EXCLUSIVE;"
	"PRAGMA cache_size=-65536;"
	"BEGIN;"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE types(id INTEGER PRIMARY KEY, name TEXT NOT NULL, address INTEGER,"
	" object INTEGER, count INTEGER NOT NULL, size INTEGER NOT NULL);"
	"CREATE TABLE objects(id INTEGER PRIMARY KEY, address INTEGER NOT NULL,"
	" type INTEGER NOT NULL, size INTEGER NOT NULL, refcount INTEGER NOT NULL,"
	" value, flags INTEGER NOT NULL, retained INTEGER NOT NULL, dominator INTEGER);"
	"CREATE TABLE edges(src INTEGER NOT NULL, dst INTEGER NOT NULL, name TEXT NOT NULL,"
	" kind TEXT NOT NULL);"
	"CREATE TABLE roots(obj INTEGER NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,"
	" edge TEXT NOT NULL);"
	"CREATE TABLE flags(bit INTEGER PRIMARY KEY, name TEXT NOT NULL);"
	"INSERT INTO flags VALUES (1, 'gc'), (2, 'immortal'), (4, 'root'),"
	" (8, 'held-from-outside'), (16, 'size-estimated'), (32, 'scanned'),"
	" (64, 'value-truncated'), (128, 'broken');";

static const char indexes[] = "CREATE INDEX objects_address ON objects(address);"
			      "CREATE INDEX objects_type ON objects(type);"
			      "CREATE INDEX edges_src ON edges(src);"
			      "CREATE INDEX edges_dst ON edges(dst);"
			      "CREATE INDEX roots_obj ON roots(obj);"
			      "COMMIT;";

struct sq {
	sqlite3 *db;
	const struct heap *h;
	struct export *x;
};

static int fail(struct sq *q, const char *what)
{
	/* SQLite's words, and the system's where a call failed (a full
	 * disk: "database or disk is full (No space left on device)") */
	int e = q->db ? sqlite3_system_errno(q->db) : 0;

	export_progress_end(q->x);
	fprintf(stderr, "heapscope: cannot write the database (%s): %s%s%s%s\n", what,
		q->db ? sqlite3_errmsg(q->db) : "out of memory", e ? " (" : "",
		e ? strerror(e) : "", e ? ")" : "");
	return hs_exit_status(HS_EFILE);
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

static int step(struct sq *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(q, what);
}

static int put_meta(struct sq *q, sqlite3_stmt *st, const char *key, const char *text,
		    long long num)
{
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 2, num);
	return step(q, st, "meta");
}

static int write_meta(struct sq *q, sqlite3_stmt *st)
{
	const struct heap *h = q->h;
	const struct heap_meta *m = &h->meta;

	return put_meta(q, st, "pid", NULL, m->pid) ||
	       put_meta(q, st, "python", heap_str(h, m->version, NULL), 0) ||
	       put_meta(q, st, "exe", heap_str(h, m->exe, NULL), 0) ||
	       put_meta(q, st, "cmdline", heap_str(h, m->cmdline, NULL), 0) ||
	       put_meta(q, st, "capture_time", NULL, m->capture_time) ||
	       put_meta(q, st, "mode", heap_mode_name(m->mode), 0) ||
	       put_meta(q, st, "pause_us", NULL, (long long)(m->pause_ns / 1000)) ||
	       put_meta(q, st, "warnings", NULL, m->warnings) ||
	       put_meta(q, st, "first_warning", heap_str(h, m->warning, NULL), 0) ||
	       put_meta(q, st, "objects", NULL, (long long)h->nobj) ||
	       put_meta(q, st, "edges", NULL, (long long)h->nedge);
}

static int write_types(struct sq *q, sqlite3_stmt *st)
{
	const struct heap *h = q->h;
	uint64_t *count = calloc(2 * h->ntype + 1, sizeof(*count)), *size = count + h->ntype;
	size_t i;
	int r = 0;

	if (!count)
		return fail(q, "types");
	for (i = 0; i < h->nobj; i++)
		if (h->obj[i].type < h->ntype) {
			count[h->obj[i].type]++;
			size[h->obj[i].type] += heap_size(h, (uint32_t)i);
		}
	for (i = 0; i < h->ntype && !r; i++) {
		size_t len;
		const char *name = heap_str(h, h->types[i].name, &len);

		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_text(st, 2, name, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)h->types[i].addr);
		if (h->types[i].obj != HEAP_NONE)
			sqlite3_bind_int64(st, 4, h->types[i].obj);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)count[i]);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)size[i]);
		r = step(q, st, "types");
	}
	free(count);
	return r;
}

static int write_objects(struct sq *q, sqlite3_stmt *st)
{
	const struct heap *h = q->h;
	uint32_t i, bytes = HEAP_NONE, t;

	for (t = 0; t < h->ntype; t++)
		if (!strcmp(heap_str(h, h->types[t].name, NULL), "bytes"))
			bytes = t;
	for (i = 0; i < h->nobj; i++) {
		const struct heap_obj *o = &h->obj[i];

		sqlite3_bind_int64(st, 1, i);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)o->addr);
		sqlite3_bind_int64(st, 3, o->type);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)heap_size(h, i));
		sqlite3_bind_int64(st, 5, o->refcnt);
		if (o->value != HEAP_NONE) {
			size_t len;
			const char *v = heap_str(h, o->value, &len);

			if (o->type == bytes || !valid_utf8((const unsigned char *)v, len))
				sqlite3_bind_blob(st, 6, v, (int)len, SQLITE_STATIC);
			else
				sqlite3_bind_text(st, 6, v, (int)len, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(st, 6);
		}
		sqlite3_bind_int64(st, 7, h->flags[i]);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)h->retained[i]);
		if (h->idom[i] != HEAP_NONE)
			sqlite3_bind_int64(st, 9, h->idom[i]);
		else
			sqlite3_bind_null(st, 9);
		if (step(q, st, "objects"))
			return -1;
		if (!(i & 0xffff))
			export_progress(q->x, "objects", i, h->nobj);
	}
	return 0;
}

static int write_edges(struct sq *q, sqlite3_stmt *st)
{
	const struct heap *h = q->h;
	char name[300];
	uint32_t i, e;

	for (i = 0; i < h->nobj; i++) {
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			heap_edge_text(h, h->edge_name[e], name, sizeof(name));
			sqlite3_bind_int64(st, 1, i);
			sqlite3_bind_int64(st, 2, h->edge_dst[e]);
			sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, heap_edge_kind_name(h->edge_name[e]), -1,
					  SQLITE_STATIC);
			if (step(q, st, "edges"))
				return -1;
		}
		if (!(i & 0xffff))
			export_progress(q->x, "references", h->edge_start[i], h->nedge);
	}
	return 0;
}

static int write_roots(struct sq *q, sqlite3_stmt *st)
{
	const struct heap *h = q->h;
	char name[300];
	size_t k, len;

	for (k = 0; k < h->nroot; k++) {
		const struct heap_root *r = &h->roots[k];
		const char *label = heap_str(h, r->label, &len);

		name[0] = '\0';
		if (r->name)
			heap_edge_text(h, r->name, name, sizeof(name));
		sqlite3_bind_int64(st, 1, r->obj);
		sqlite3_bind_text(st, 2, heap_root_kind_name(r->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, label, (int)len, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
		if (step(q, st, "roots"))
			return -1;
	}
	return 0;
}

static const char *const inserts[] = {
	"INSERT INTO meta VALUES (?, ?)",
	"INSERT INTO types VALUES (?, ?, ?, ?, ?, ?)",
	"INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	"INSERT INTO edges VALUES (?, ?, ?, ?)",
	"INSERT INTO roots VALUES (?, ?, ?, ?)",
};

int export_sqlite(struct export *x)
{
	struct hs_error err = HS_ERROR_INIT;
	struct sq q = { .h = x->h, .x = x };
	sqlite3_stmt *st[5] = { 0 };
	int (*const write[5])(struct sq *, sqlite3_stmt *) = {
		write_meta, write_types, write_objects, write_edges, write_roots,
	};
	size_t k;
	int r = 0;
	double t0 = cmd_clock();

	/* retained sizes and dominators are columns of objects */
	export_progress(x, "dominators", 0, 0);
	if (heap_prepare(x->h, HEAP_NEED_DOMINATORS, &err))
		return cmd_fail(&err);
	cmd_timing("dominators", t0);
	t0 = cmd_clock();
	/* the temporary file exists (empty, mode 0600): SQLite fills it;
	 * one thread, no locks, and never through a symbolic link put in
	 * its place */
	if (sqlite3_open_v2(x->path, &q.db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		r = fail(&q, "open");
		goto close;
	}
	if (sqlite3_exec(q.db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		r = fail(&q, "schema");
		goto close;
	}
	for (k = 0; k < 5 && !r; k++)
		if (sqlite3_prepare_v2(q.db, inserts[k], -1, &st[k], NULL) != SQLITE_OK)
			r = fail(&q, "prepare");
	for (k = 0; k < 5 && !r; k++)
		r = write[k](&q, st[k]) ? hs_exit_status(HS_EFILE) : 0;
	cmd_timing("rows", t0);
	t0 = cmd_clock();
	if (!r) {
		x->last.tv_sec = 0; /* say it now: this takes a while */
		export_progress(x, "indexes", 0, 0);
		if (sqlite3_exec(q.db, indexes, NULL, NULL, NULL) != SQLITE_OK)
			r = fail(&q, "indexes");
		cmd_timing("indexes", t0);
	}
close:
	for (k = 0; k < 5; k++)
		sqlite3_finalize(st[k]);
	if (sqlite3_close(q.db) != SQLITE_OK && !r)
		r = fail(&q, "close");
	return r;
}
