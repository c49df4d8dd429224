/*
 * sqlite_file.h - an SQLite database file written directly, in its
 * file format (https://www.sqlite.org/fileformat2.html), without the
 * library: each table from its rows in ascending rowid, each index from
 * its keys in ascending order, every B-tree built bottom up and every
 * page written once, in sequence.
 *
 * Through the library, 4.5M objects took 15 s: 7 s of inserts through
 * the page cache, 6 s of sorting and inserting index keys.  The rows of
 * a heap graph come already in id order and its index keys are sorted
 * in memory in a fraction of that, so the B-trees need no balancing and
 * no page is read back.
 *
 * Usage: sqlf_create on an empty file; for each table sqlf_table_begin,
 * sqlf_row... and sqlf_end, which gives the B-tree's root page; for each
 * index sqlf_index_begin with the number of keys, sqlf_key... and
 * sqlf_end; sqlf_schema for each table and index (what sqlite_schema
 * lists, in order); sqlf_finish writes page 1 and the header last.  The
 * caller writes what the schema says: a rowid alias column (INTEGER
 * PRIMARY KEY) is NULL in its rows, and an index holds every row's key
 * with the rowid last, ordered as SQLite orders them (integers by value,
 * text and blobs by memcmp, then length).
 *
 * Every function returns 0, or -1 with errno set (ENOMEM, a write's
 * error, EINVAL for rows out of order or a schema too big for page 1,
 * EFBIG past 2^32 pages).  The file is whole only once sqlf_finish
 * returned 0.
 */
#ifndef HS_SQLITE_FILE_H
#define HS_SQLITE_FILE_H

#include <stddef.h>
#include <stdint.h>

enum sqlf_kind { SQLF_NULL, SQLF_INT, SQLF_TEXT, SQLF_BLOB };

struct sqlf_val {
	enum sqlf_kind kind;
	int64_t i;     /* SQLF_INT */
	const void *p; /* SQLF_TEXT (UTF-8), SQLF_BLOB */
	size_t len;
};

static inline struct sqlf_val sqlf_int(int64_t i)
{
	return (struct sqlf_val){ .kind = SQLF_INT, .i = i };
}

static inline struct sqlf_val sqlf_text(const char *p, size_t len)
{
	return (struct sqlf_val){ .kind = SQLF_TEXT, .p = p, .len = len };
}

static inline struct sqlf_val sqlf_blob(const void *p, size_t len)
{
	return (struct sqlf_val){ .kind = SQLF_BLOB, .p = p, .len = len };
}

static inline struct sqlf_val sqlf_null(void)
{
	return (struct sqlf_val){ .kind = SQLF_NULL };
}

struct sqlf;

/* A writer of the empty file open on fd (not closed by it), or NULL. */
struct sqlf *sqlf_create(int fd);
void sqlf_free(struct sqlf *f);

int sqlf_table_begin(struct sqlf *f);
int sqlf_row(struct sqlf *f, int64_t rowid, const struct sqlf_val *v, unsigned n);
int sqlf_index_begin(struct sqlf *f, uint64_t nkeys);
int sqlf_key(struct sqlf *f, const struct sqlf_val *v, unsigned n);
/* End the table or index begun: *root is its root page. */
int sqlf_end(struct sqlf *f, uint32_t *root);

/* A row of sqlite_schema: type "table" or "index", sql NULL for an
 * automatic index (sqlite_autoindex_TABLE_N). */
int sqlf_schema(struct sqlf *f, const char *type, const char *name, const char *table,
		uint32_t root, const char *sql);
int sqlf_finish(struct sqlf *f);

#endif
