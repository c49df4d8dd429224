/*
 * unit-sqlitefile - cmd/sqlite_file.c's databases, read by SQLite itself.
 *
 * Each case writes a table t(id INTEGER PRIMARY KEY, k TEXT, v BLOB, n
 * INTEGER) of N rows and indexes on k, v and n, then asks the sqlite3
 * tool: PRAGMA integrity_check (pages, cells, every row's index entries);
 * the rows' counts and sums; the order each index gives; and every row
 * found again through each index by its key, which descends the interior
 * pages.  The cases sweep N over every count of keys a few leaves hold
 * with keys of 900 bytes (4 a page, so that the last key lands on every
 * place of a leaf and of the levels above), blobs past a page (overflow
 * chains, in rows and in index keys), integers of every size, a table of
 * 20000 rows, and tables of a row a leaf with as many leaves as fill an
 * interior page, give or take a few.  Skipped without the sqlite3 tool.
 */
#include "config.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sqlite_file.h"
#include "tap.h"

struct row {
	int64_t id, n;
	char k[1024];
	size_t klen, vlen;
};

static uint8_t vbuf[20000];

static struct row *rows;
static size_t nrows;

static int by_k(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->klen < y->klen ? x->klen : y->klen);

	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* v is vbuf's first vlen bytes: blobs compare by length alone */
static int by_v(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->vlen != y->vlen)
		return x->vlen < y->vlen ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_n(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* vmax > 0: blobs of 0..vmax bytes; vmax < 0: all of -vmax bytes */
static void make_rows(size_t n, size_t klen, long vmax)
{
	size_t i;

	nrows = n;
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		size_t j;

		r->id = (int64_t)i + 1;
		/* every size of integer, both signs; some equal */
		r->n = (int64_t)((uint64_t)(i % 97) * 0x9e3779b97f4a7c15ull) >> (i % 61);
		snprintf(r->k, sizeof(r->k), "%010zu", (i * 7919) % (n + 13));
		for (j = 10; j < klen; j++)
			r->k[j] = (char)('a' + (i + j) % 26);
		r->klen = klen > 10 ? klen : 10;
		r->vlen = vmax < 0 ? (size_t)-vmax : (i * 131) % (size_t)(vmax + 1);
	}
}

static int write_db(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), r = 0;
	struct sqlf *f = fd < 0 ? NULL : sqlf_create(fd);
	uint32_t root[4];
	size_t i;
	int (*const order[3])(const void *, const void *) = { by_k, by_v, by_n };
	unsigned x;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r |= sqlf_table_begin(f);
	for (i = 0; i < nrows && !r; i++) {
		struct sqlf_val v[4] = { sqlf_null(), sqlf_text(rows[i].k, rows[i].klen),
					 sqlf_blob(vbuf, rows[i].vlen), sqlf_int(rows[i].n) };

		r |= sqlf_row(f, rows[i].id, v, 4);
	}
	r |= sqlf_end(f, &root[0]);
	for (x = 0; x < 3 && !r; x++) {
		qsort(rows, nrows, sizeof(*rows), order[x]);
		r |= sqlf_index_begin(f, nrows);
		for (i = 0; i < nrows && !r; i++) {
			struct sqlf_val v[2] = { x == 0	  ? sqlf_text(rows[i].k, rows[i].klen)
						 : x == 1 ? sqlf_blob(vbuf, rows[i].vlen)
							  : sqlf_int(rows[i].n),
						 sqlf_int(rows[i].id) };

			r |= sqlf_key(f, v, 2);
		}
		r |= sqlf_end(f, &root[1 + x]);
	}
	r = r ||
	    sqlf_schema(f, "table", "t", "t", root[0],
			"CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB, n INTEGER)") ||
	    sqlf_schema(f, "index", "t_k", "t", root[1], "CREATE INDEX t_k ON t(k)") ||
	    sqlf_schema(f, "index", "t_v", "t", root[2], "CREATE INDEX t_v ON t(v)") ||
	    sqlf_schema(f, "index", "t_n", "t", root[3], "CREATE INDEX t_n ON t(n)") ||
	    sqlf_finish(f);
	sqlf_free(f);
	return close(fd) || r ? -1 : 0;
}

/* The sqlite3 tool's answer to sql, its lines joined by spaces. */
static char *ask(const char *db, const char *sql)
{
	static char out[1 << 16];
	char cmd[4096];
	size_t len = 0;
	FILE *p;
	int c;

	snprintf(cmd, sizeof(cmd), "sqlite3 -batch '%s' \"%s\" 2>&1", db, sql);
	if (!(p = popen(cmd, "r")))
		return strcpy(out, "(popen failed)");
	while ((c = getc(p)) != EOF && len + 1 < sizeof(out))
		out[len++] = c == '\n' ? ' ' : (char)c;
	while (len && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
	pclose(p);
	return out;
}

/* The ids in the order x sorts them, as the sqlite3 tool prints them. */
static int ordered(const char *got, int (*cmp)(const void *, const void *))
{
	char want[1 << 16];
	size_t i, len = 0;

	qsort(rows, nrows, sizeof(*rows), cmp);
	want[0] = '\0';
	for (i = 0; i < nrows && len + 24 < sizeof(want); i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%" PRId64, i ? " " : "",
					rows[i].id);
	return !strcmp(want, got);
}

static void check(const char *db, size_t n, size_t klen, long vmax)
{
	char want[256], *got;
	int64_t sum_n = 0;
	uint64_t sum_v = 0;
	size_t i;

	make_rows(n, klen, vmax);
	if (!tap_ok(!write_db(db), "%zu rows, keys of %zu bytes, blobs up to %ld: written", n, klen,
		    vmax))
		return;
	for (i = 0; i < n; i++) {
		sum_n += rows[i].n % 1000;
		sum_v += rows[i].vlen;
	}
	got = ask(db, "PRAGMA integrity_check");
	tap_ok(!strcmp(got, "ok"), "%zu/%zu/%ld: integrity_check: %.200s", n, klen, vmax, got);
	snprintf(want, sizeof(want), "%zu|%zu|%" PRIu64 "|%" PRId64, n, n * (klen > 10 ? klen : 10),
		 sum_v, sum_n);
	got = ask(db,
		  "SELECT count(*), total(length(k)), total(length(v)), total(n % 1000) FROM t");
	/* total() prints floats: compare the integers' digits */
	{
		char norm[256];
		size_t a = 0, b = 0;

		for (; got[a] && b + 1 < sizeof(norm); a++)
			if (!(got[a] == '.' && got[a + 1] == '0' &&
			      (!got[a + 2] || got[a + 2] == '|')))
				norm[b++] = got[a];
			else
				a++;
		norm[b] = '\0';
		tap_ok(!strcmp(norm, want), "%zu/%zu/%ld: counts and sums %s (want %s)", n, klen,
		       vmax, got, want);
	}
	if (n <= 3000) {
		tap_ok(ordered(ask(db, "SELECT id FROM t INDEXED BY t_k ORDER BY k, id"), by_k),
		       "%zu/%zu/%ld: t_k's order", n, klen, vmax);
		tap_ok(ordered(ask(db, "SELECT id FROM t INDEXED BY t_n ORDER BY n, id"), by_n),
		       "%zu/%zu/%ld: t_n's order", n, klen, vmax);
	}
	snprintf(want, sizeof(want), "%zu", n);
	got = ask(db, "SELECT count(*) FROM t AS a WHERE "
		      "(SELECT id FROM t INDEXED BY t_k WHERE k = a.k) = a.id AND "
		      "(SELECT count(*) FROM t INDEXED BY t_n WHERE n = a.n AND id = a.id) = 1 AND "
		      "(SELECT count(*) FROM t INDEXED BY t_v WHERE v = a.v AND id = a.id) = 1");
	tap_ok(!strcmp(got, want), "%zu/%zu/%ld: every row found through each index (%s)", n, klen,
	       vmax, got);
}

int main(void)
{
	char dir[] = "/tmp/unit-sqlitefile-XXXXXX", db[64];
	size_t n, step = tap_scale(1, 1) == 1 ? 1 : 23;

	if (system("sqlite3 -version >/dev/null 2>&1")) {
		tap_skip("the sqlite3 tool is missing (apt-get install sqlite3)");
		return tap_done();
	}
	if (!mkdtemp(dir) || !(rows = calloc(20000, sizeof(*rows))))
		return 1;
	memset(vbuf, 'v', sizeof(vbuf));
	snprintf(db, sizeof(db), "%s/t.db", dir);
	for (n = 0; n <= 140; n += step)
		check(db, n, 900, 0);
	check(db, tap_scale(600, 10), 40, 9000);
	check(db, tap_scale(20000, 100), 20, 50);
	/* a row a leaf: 527 leaves fill an interior page, one more makes a
	 * second, which must get two */
	for (n = 524; n <= 532; n += step)
		check(db, n, 20, -3000);
	unlink(db);
	rmdir(dir);
	free(rows);
	return tap_done();
}
