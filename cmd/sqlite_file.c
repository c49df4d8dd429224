/*
 * sqlite_file.c - an SQLite database file written directly (sqlite_file.h).
 *
 * Pages of PAGE bytes, numbered from 1 in the order written: page 1 (the
 * header and sqlite_schema) is a placeholder until sqlf_finish, then each
 * B-tree's leaves as they fill (a cell's overflow pages just before its
 * leaf), then its interior pages, level by level up to the root.
 *
 * A table is a B+tree: every row in a leaf (flag 0x0d), interior pages
 * (0x05) holding (child, largest rowid in it) and a right-most child.
 * An index is a B-tree: each key once, in a leaf (0x0a) or, as the
 * separator between two pages, in an interior page (0x02).  No page but
 * a root is ever empty, nor an interior page without a cell: the last
 * key of an index never becomes a separator (the one before it does),
 * and the last interior page of a level always gets two children.
 *
 * Cells are packed from the end of the page with no gap and a cell takes
 * at least 4 bytes, as PRAGMA integrity_check counts them; the space
 * between the cell pointers and the cells is zeroed, so that the same
 * rows always make the same bytes.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/task.h"
#include "base/writeback.h"
#include "sqlite_file.h"

#define PAGE 4096u
#define OUT_BYTES (2u << 20) /* pages written at once */
#define SCHEMA_MAX 32
#define LEAF_HDR 8u
#define INTERIOR_HDR 12u
#define CELL_ROOM 20u		       /* a cell's varints before its record */
#define SQLITE_VERSION_WRITTEN 3040001 /* the header's "written by" */

/* A child page and what separates it from the next: the largest rowid
 * under it (tables), or a key's cell bytes in cells[] (indexes). */
struct up {
	uint32_t child;
	uint32_t len;
	uint64_t key; /* rowid, or offset into cells */
};

struct schema_row {
	char *type, *name, *table, *sql;
	uint32_t root;
};

struct sqlf {
	struct writeback wb; /* the file, written in order */
	uint8_t *out;	     /* whole pages being queued */
	size_t out_len;
	/* the writer thread writes the buffer before (busy) while pages are
	 * queued in out: the kernel's copy into the page cache, a quarter
	 * of the time, on the other core */
	pthread_t thread;
	int threaded, stop, werr;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uint8_t *busy;
	size_t busy_len;
	uint32_t npage; /* pages numbered so far, page 1 included */

	int index; /* the B-tree being written: 1 index, 0 table, -1 none */
	uint8_t leaf[PAGE];
	unsigned ncell, content; /* the leaf's cells and where they start */
	int64_t last_rowid;
	uint64_t nkeys, nkey;
	struct up *up; /* leaves (tables) or separators (indexes) */
	size_t nup, up_cap;
	uint8_t *cells;
	size_t cells_len, cells_cap;
	uint8_t *rec; /* a cell being encoded (record()) */
	size_t rec_cap;

	struct schema_row schema[SCHEMA_MAX];
	unsigned nschema;
};

static void put2(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put4(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static unsigned varint_len(uint64_t v)
{
	if (v < 0x80)
		return 1;
	if (v >> 56)
		return 9;
	return (unsigned)(64 - __builtin_clzll(v) + 6) / 7;
}

/* SQLite's varint: 7 bits a byte, big-endian, the ninth byte all 8. */
static unsigned put_varint(uint8_t *p, uint64_t v)
{
	unsigned n, i;

	if (v < 0x80) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)(0x80 | v >> 7);
		p[1] = (uint8_t)(v & 0x7f);
		return 2;
	}
	if ((n = varint_len(v)) == 9) {
		p[8] = (uint8_t)v;
		v >>= 8;
		for (i = 8; i-- > 0; v >>= 7)
			p[i] = (uint8_t)((v & 0x7f) | 0x80);
		return 9;
	}
	for (i = n; i-- > 0; v >>= 7)
		p[i] = (uint8_t)((v & 0x7f) | (i == n - 1 ? 0 : 0x80));
	return n;
}

/* Write pages in order, the disk kept writing as they go. */
static int write_pages(struct sqlf *f, const uint8_t *p, size_t len)
{
	return writeback_write(&f->wb, p, len);
}

/* The writer thread: each buffer handed to it, until told to stop. */
static void *writer(void *p)
{
	struct sqlf *f = p;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		int e;

		while (!f->busy_len && !f->stop)
			pthread_cond_wait(&f->wake, &f->lock);
		if (!f->busy_len)
			break;
		pthread_mutex_unlock(&f->lock);
		e = f->werr ? 0 : write_pages(f, f->busy, f->busy_len);
		pthread_mutex_lock(&f->lock);
		if (e)
			f->werr = e;
		f->busy_len = 0;
		pthread_cond_broadcast(&f->wake);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Wait until the writer holds no buffer; its error, if any, in errno. */
static int drain(struct sqlf *f)
{
	int e;

	if (!f->threaded)
		return 0;
	pthread_mutex_lock(&f->lock);
	while (f->busy_len)
		pthread_cond_wait(&f->wake, &f->lock);
	e = f->werr;
	pthread_mutex_unlock(&f->lock);
	if (e)
		errno = e;
	return e ? -1 : 0;
}

/* Hand the pages queued to the writer and queue into its other buffer
 * (or, without a thread, write them here). */
static int flush(struct sqlf *f)
{
	uint8_t *t;
	int e;

	if (!f->threaded) {
		e = write_pages(f, f->out, f->out_len);
		f->out_len = 0;
		if (e)
			errno = e;
		return e ? -1 : 0;
	}
	if (drain(f))
		return -1;
	pthread_mutex_lock(&f->lock);
	t = f->busy;
	f->busy = f->out;
	f->busy_len = f->out_len;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	f->out = t;
	f->out_len = 0;
	return 0;
}

/* Number the page pg and queue it. */
static int emit(struct sqlf *f, const uint8_t *pg, uint32_t *pgno)
{
	if (f->npage == UINT32_MAX - 1) {
		errno = EFBIG;
		return -1;
	}
	memcpy(f->out + f->out_len, pg, PAGE);
	f->out_len += PAGE;
	*pgno = ++f->npage;
	return f->out_len == OUT_BYTES ? flush(f) : 0;
}

struct sqlf *sqlf_create(int fd)
{
	struct sqlf *f = calloc(1, sizeof(*f));

	if (!f || !(f->out = malloc(OUT_BYTES)) || !(f->busy = malloc(OUT_BYTES))) {
		if (f)
			free(f->out);
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	writeback_init(&f->wb, fd);
	f->index = -1;
	memset(f->out, 0, PAGE); /* page 1, written last */
	f->out_len = PAGE;
	f->npage = 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	f->threaded = task_thread(&f->thread, writer, f);
	return f;
}

void sqlf_free(struct sqlf *f)
{
	unsigned k;

	if (!f)
		return;
	if (f->threaded) {
		pthread_mutex_lock(&f->lock);
		f->stop = 1;
		pthread_cond_broadcast(&f->wake);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	writeback_end(&f->wb);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
	for (k = 0; k < f->nschema; k++) {
		free(f->schema[k].type);
		free(f->schema[k].name);
		free(f->schema[k].table);
		free(f->schema[k].sql);
	}
	free(f->out);
	free(f->busy);
	free(f->up);
	free(f->cells);
	free(f->rec);
	free(f);
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (!(q = realloc(*p, n * elem))) {
		errno = ENOMEM;
		return -1;
	}
	*p = q;
	*cap = n;
	return 0;
}

static int begin(struct sqlf *f, int index)
{
	if (f->index != -1) {
		errno = EINVAL;
		return -1;
	}
	f->index = index;
	f->ncell = 0;
	f->content = PAGE;
	f->nup = f->cells_len = 0;
	f->nkey = f->nkeys = 0;
	f->last_rowid = -1;
	return 0;
}

int sqlf_table_begin(struct sqlf *f)
{
	return begin(f, 0);
}

int sqlf_index_begin(struct sqlf *f, uint64_t nkeys)
{
	if (begin(f, 1))
		return -1;
	f->nkeys = nkeys;
	return 0;
}

/* ---- records and cells ---- */

/* The serial type of v, and the bytes of its data. */
static uint64_t serial_type(const struct sqlf_val *v, size_t *len)
{
	int64_t i = v->i;

	switch (v->kind) {
	case SQLF_INT:
		if (i == 0 || i == 1)
			return *len = 0, 8 + (uint64_t)i;
		if (i >= -128 && i <= 127)
			return *len = 1, 1;
		if (i >= -32768 && i <= 32767)
			return *len = 2, 2;
		if (i >= -8388608 && i <= 8388607)
			return *len = 3, 3;
		if (i >= INT32_MIN && i <= INT32_MAX)
			return *len = 4, 4;
		if (i >= -(INT64_C(1) << 47) && i < INT64_C(1) << 47)
			return *len = 6, 5;
		return *len = 8, 6;
	case SQLF_TEXT:
		return *len = v->len, 13 + 2 * (uint64_t)v->len;
	case SQLF_BLOB:
		return *len = v->len, 12 + 2 * (uint64_t)v->len;
	default:
		return *len = 0, 0;
	}
}

/* Encode the record of v[0..n) at f->rec + CELL_ROOM (before it, room
 * for its cell's prefix); its length, or 0 on error. */
static size_t record(struct sqlf *f, const struct sqlf_val *v, unsigned n)
{
	uint64_t types[16];
	size_t lens[16], body = 0, head = 0, hlen, k;
	uint8_t *at;

	if (n > 16) {
		errno = EINVAL;
		return 0;
	}
	for (k = 0; k < n; k++) {
		types[k] = serial_type(&v[k], &lens[k]);
		head += varint_len(types[k]);
		if (lens[k] > (1u << 30) || body > (1u << 30)) {
			errno = EFBIG; /* SQLite's own limit is 1e9 bytes */
			return 0;
		}
		body += lens[k];
	}
	for (hlen = head + 1; varint_len(hlen) != hlen - head; hlen++)
		;
	if (grow(&f->rec, &f->rec_cap, CELL_ROOM + hlen + body + 16, 1))
		return 0;
	at = f->rec + CELL_ROOM;
	at += put_varint(at, hlen);
	for (k = 0; k < n; k++)
		at += put_varint(at, types[k]);
	for (k = 0; k < n; k++) {
		if (v[k].kind == SQLF_INT) {
			/* big-endian, the low lens[k] bytes (8 spare follow) */
			uint64_t be =
				__builtin_bswap64((uint64_t)v[k].i << (8 * (8 - lens[k]) & 63));

			if (lens[k])
				memcpy(at, &be, 8);
		} else if (lens[k]) {
			memcpy(at, v[k].p, lens[k]);
		}
		at += lens[k];
	}
	return (size_t)(at - f->rec) - CELL_ROOM;
}

/* How much of a payload of p bytes stays in the cell (the file format's
 * rule, which readers apply too). */
static size_t local_size(size_t p, int index)
{
	const size_t u = PAGE, m = (u - 12) * 32 / 255 - 23;
	const size_t x = index ? (u - 12) * 64 / 255 - 23 : u - 35;
	size_t k;

	if (p <= x)
		return p;
	k = m + (p - m) % (u - 4);
	return k <= x ? k : m;
}

/* Write p[0..len) to a chain of overflow pages; *first is its first. */
static int overflow(struct sqlf *f, const uint8_t *p, size_t len, uint32_t *first)
{
	uint8_t pg[PAGE];
	uint32_t no;

	*first = f->npage + 1;
	while (len) {
		size_t n = len < PAGE - 4 ? len : PAGE - 4;

		put4(pg, len > n ? f->npage + 2 : 0);
		memcpy(pg + 4, p, n);
		memset(pg + 4 + n, 0, PAGE - 4 - n);
		if (emit(f, pg, &no))
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The cell of the record at f->rec + CELL_ROOM, len bytes: its payload
 * size and rowid (tables) put before it, the local part, the first
 * overflow page after it.  Its start in *cell and its length, or 0 on
 * error. */
static size_t make_cell(struct sqlf *f, size_t len, int64_t rowid, uint8_t **cell)
{
	uint8_t pre[CELL_ROOM], *payload = f->rec + CELL_ROOM;
	size_t local = local_size(len, f->index), n = put_varint(pre, len), at;

	if (!f->index)
		n += put_varint(pre + n, (uint64_t)rowid);
	*cell = payload - n;
	memcpy(*cell, pre, n);
	at = n + local;
	if (local < len) {
		uint32_t first;

		if (overflow(f, payload + local, len - local, &first))
			return 0;
		put4(payload + local, first);
		at += 4;
	}
	for (; at < 4; at++) /* a cell takes at least 4 bytes */
		(*cell)[at] = 0;
	return at;
}

/* ---- pages ---- */

static int leaf_fits(const struct sqlf *f, size_t len)
{
	return f->content >= len + LEAF_HDR + 2 * (f->ncell + 1);
}

static void leaf_put(struct sqlf *f, const uint8_t *cell, size_t len)
{
	f->content -= (unsigned)len;
	memcpy(f->leaf + f->content, cell, len);
	put2(f->leaf + LEAF_HDR + 2 * f->ncell, f->content);
	f->ncell++;
}

/* Header, zeroed gap, number; the leaf is then empty again. */
static int leaf_emit(struct sqlf *f, uint32_t *pgno)
{
	unsigned ptrs = LEAF_HDR + 2 * f->ncell;

	f->leaf[0] = f->index ? 0x0a : 0x0d;
	put2(f->leaf + 1, 0);
	put2(f->leaf + 3, f->ncell);
	put2(f->leaf + 5, f->content & 0xffff); /* 65536 is 0 */
	f->leaf[7] = 0;
	memset(f->leaf + ptrs, 0, f->content - ptrs);
	f->ncell = 0;
	f->content = PAGE;
	return emit(f, f->leaf, pgno);
}

static int add_up(struct sqlf *f, uint32_t child, uint64_t key, uint32_t len)
{
	if (grow(&f->up, &f->up_cap, f->nup + 1, sizeof(*f->up)))
		return -1;
	f->up[f->nup++] = (struct up){ .child = child, .key = key, .len = len };
	return 0;
}

/* An interior page: cells (child, key or separator bytes) of s[0..n),
 * then right as the right-most child. */
static int interior_emit(struct sqlf *f, const struct up *s, size_t n, uint32_t right,
			 uint32_t *pgno)
{
	uint8_t pg[PAGE];
	unsigned content = PAGE, ptrs = INTERIOR_HDR + 2 * (unsigned)n;
	size_t j;

	for (j = 0; j < n; j++) {
		uint8_t cell[16];
		unsigned len = 4;

		put4(cell, s[j].child);
		if (!f->index)
			len += put_varint(cell + 4, s[j].key);
		content -= f->index ? 4 + s[j].len : len;
		memcpy(pg + content, cell, 4);
		if (f->index)
			memcpy(pg + content + 4, f->cells + s[j].key, s[j].len);
		else
			memcpy(pg + content + 4, cell + 4, len - 4);
		put2(pg + INTERIOR_HDR + 2 * j, content);
	}
	pg[0] = f->index ? 0x02 : 0x05;
	put2(pg + 1, 0);
	put2(pg + 3, (unsigned)n);
	put2(pg + 5, content & 0xffff);
	pg[7] = 0;
	put4(pg + 8, right);
	memset(pg + ptrs, 0, content - ptrs);
	return emit(f, pg, pgno);
}

static size_t cell_cost(const struct sqlf *f, const struct up *u)
{
	return 2 + 4 + (f->index ? u->len : varint_len(u->key));
}

/* One level of a table's interior pages over children up[0..n), n >= 2,
 * each page taking cells while they fit and one more child as its
 * right-most; the level above replaces up[] (fewer entries). */
static int table_level(struct sqlf *f, size_t *n)
{
	struct up *s = f->up;
	size_t a = 0, out = 0;

	while (a < *n) {
		size_t i = a, used = 0;
		uint32_t pg;

		while (i + 1 < *n && used + cell_cost(f, &s[i]) <= PAGE - INTERIOR_HDR)
			used += cell_cost(f, &s[i++]);
		if (i + 2 == *n && i > a + 1)
			i--; /* the last page gets two children, not one */
		if (interior_emit(f, s + a, i - a, s[i].child, &pg))
			return -1;
		s[out++] = (struct up){ .child = pg, .key = s[i].key };
		a = i + 1;
	}
	*n = out;
	return 0;
}

/* One level of an index's interior pages over separators s[0..n) and
 * *right, the right-most child: each page takes separators while they
 * fit and the next one goes up, its left child becoming the page's
 * right-most.  The level above replaces up[] and *right. */
static int index_level(struct sqlf *f, size_t *n, uint32_t *right)
{
	struct up *s = f->up;
	size_t a = 0, out = 0, m = *n;

	for (;;) {
		size_t i = a, used = 0, b;
		uint32_t pg;

		while (i < m && used + cell_cost(f, &s[i]) <= PAGE - INTERIOR_HDR)
			used += cell_cost(f, &s[i++]);
		if (i == m) {
			*n = out;
			return interior_emit(f, s + a, m - a, *right, right);
		}
		b = i;
		if (b + 1 == m && b >= a + 2)
			b--; /* the last separator stays for the last page */
		if (interior_emit(f, s + a, b - a, s[b].child, &pg))
			return -1;
		s[out++] = (struct up){ .child = pg, .key = s[b].key, .len = s[b].len };
		a = b + 1;
	}
}

int sqlf_row(struct sqlf *f, int64_t rowid, const struct sqlf_val *v, unsigned n)
{
	size_t len, clen;
	uint8_t *cell;
	uint32_t pg;

	if (f->index != 0 || rowid <= f->last_rowid) {
		errno = EINVAL;
		return -1;
	}
	if (!(len = record(f, v, n)) || !(clen = make_cell(f, len, rowid, &cell)))
		return -1;
	if (!leaf_fits(f, clen)) {
		if (leaf_emit(f, &pg) || add_up(f, pg, (uint64_t)f->last_rowid, 0))
			return -1;
	}
	leaf_put(f, cell, clen);
	f->last_rowid = rowid;
	return 0;
}

/* Keep cell[0..len) as a separator whose left child is pg. */
static int add_separator(struct sqlf *f, uint32_t pg, const uint8_t *cell, size_t len)
{
	if (grow(&f->cells, &f->cells_cap, f->cells_len + len, 1) ||
	    add_up(f, pg, f->cells_len, (uint32_t)len))
		return -1;
	memcpy(f->cells + f->cells_len, cell, len);
	f->cells_len += len;
	return 0;
}

int sqlf_key(struct sqlf *f, const struct sqlf_val *v, unsigned n)
{
	size_t len, clen;
	uint8_t *cell;
	uint32_t pg;

	if (f->index != 1 || f->nkey >= f->nkeys) {
		errno = EINVAL;
		return -1;
	}
	f->nkey++;
	if (!(len = record(f, v, n)) || !(clen = make_cell(f, len, 0, &cell)))
		return -1;
	if (leaf_fits(f, clen)) {
		leaf_put(f, cell, clen);
		return 0;
	}
	if (f->nkey < f->nkeys) /* this key separates the full leaf from the next */
		return leaf_emit(f, &pg) || add_separator(f, pg, cell, clen) ? -1 : 0;
	/* the last key: the full leaf's last cell separates instead, and this
	 * key makes the last leaf (never an empty one) */
	{
		const uint8_t *prev = f->leaf + LEAF_HDR + 2 * (f->ncell - 2);
		unsigned end = f->ncell > 1 ? (unsigned)(prev[0] << 8 | prev[1]) : PAGE;
		unsigned plen = end - f->content;
		uint8_t popped[PAGE];

		memcpy(popped, f->leaf + f->content, plen);
		f->ncell--;
		f->content = end;
		if (leaf_emit(f, &pg) || add_separator(f, pg, popped, plen))
			return -1;
		leaf_put(f, cell, clen);
	}
	return 0;
}

int sqlf_end(struct sqlf *f, uint32_t *root)
{
	uint32_t pg;
	size_t n;

	if (f->index == -1 || (f->index == 1 && f->nkey != f->nkeys)) {
		errno = EINVAL;
		return -1;
	}
	if (leaf_emit(f, &pg))
		return -1;
	if (f->index) {
		for (n = f->nup; n;)
			if (index_level(f, &n, &pg))
				return -1;
	} else {
		if (add_up(f, pg, (uint64_t)f->last_rowid, 0))
			return -1;
		for (n = f->nup; n > 1;)
			if (table_level(f, &n))
				return -1;
		pg = f->up[0].child;
	}
	*root = pg;
	f->index = -1;
	return 0;
}

/* ---- the schema and page 1 ---- */

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*bad = 1;
	return d;
}

int sqlf_schema(struct sqlf *f, const char *type, const char *name, const char *table,
		uint32_t root, const char *sql)
{
	struct schema_row *r;
	int bad = 0;

	if (f->nschema == SCHEMA_MAX) {
		errno = EINVAL;
		return -1;
	}
	r = &f->schema[f->nschema++];
	r->type = dup_or_null(type, &bad);
	r->name = dup_or_null(name, &bad);
	r->table = dup_or_null(table, &bad);
	r->sql = dup_or_null(sql, &bad);
	r->root = root;
	if (bad)
		errno = ENOMEM;
	return bad ? -1 : 0;
}

static void header(uint8_t *pg, uint32_t npage)
{
	memcpy(pg, "SQLite format 3", 16);
	put2(pg + 16, PAGE == 65536 ? 1 : PAGE);
	pg[18] = pg[19] = 1; /* legacy journal: readable and writable by all */
	pg[20] = 0;	     /* no reserved bytes a page */
	pg[21] = 64;	     /* payload fractions, fixed */
	pg[22] = 32;
	pg[23] = 32;
	put4(pg + 24, 1);     /* change counter */
	put4(pg + 28, npage); /* valid: offset 92 equals the counter */
	put4(pg + 40, 1);     /* schema cookie */
	put4(pg + 44, 4);     /* schema format */
	put4(pg + 56, 1);     /* UTF-8 */
	put4(pg + 92, 1);
	put4(pg + 96, SQLITE_VERSION_WRITTEN);
}

int sqlf_finish(struct sqlf *f)
{
	uint8_t pg[PAGE] = { 0 };
	unsigned k, content = PAGE, ptrs = 100 + LEAF_HDR + 2 * f->nschema;
	int e;

	if (f->index != -1) {
		errno = EINVAL;
		return -1;
	}
	for (k = 0; k < f->nschema; k++) {
		const struct schema_row *r = &f->schema[k];
		struct sqlf_val v[5] = {
			sqlf_text(r->type, strlen(r->type)),
			sqlf_text(r->name, strlen(r->name)),
			sqlf_text(r->table, strlen(r->table)),
			sqlf_int(r->root),
			r->sql ? sqlf_text(r->sql, strlen(r->sql)) : sqlf_null(),
		};
		size_t len = record(f, v, 5), at;

		if (!len)
			return -1;
		at = varint_len(len) + varint_len(k + 1) + len;
		if (len > local_size(len, 0) || content < ptrs + at) {
			errno = EINVAL; /* sqlite_schema must fit page 1 */
			return -1;
		}
		content -= (unsigned)at;
		at = content + put_varint(pg + content, len);
		at += put_varint(pg + at, k + 1);
		memcpy(pg + at, f->rec + CELL_ROOM, len);
		put2(pg + 100 + LEAF_HDR + 2 * k, content);
	}
	header(pg, f->npage);
	pg[100] = 0x0d;
	put2(pg + 103, f->nschema);
	put2(pg + 105, content & 0xffff);
	if (flush(f) || drain(f))
		return -1;
	for (k = 0; k < PAGE;) {
		ssize_t w = pwrite(f->wb.fd, pg + k, PAGE - k, k);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		k += (unsigned)w;
	}
	if ((e = writeback_end(&f->wb))) {
		errno = e;
		return -1;
	}
	return 0;
}
