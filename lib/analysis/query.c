/*
 * query.c - histogram, paths from roots, type matching.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dominator.h"
#include "query.h"

struct sort_ctx {
	const struct heap *h;
	enum hist_order by;
};

static int cmp_stat(const void *a, const void *b, void *arg)
{
	const struct type_stat *x = a, *y = b;
	const struct sort_ctx *c = arg;
	const struct heap *sort_heap = c->h;
	enum hist_order sort_by = c->by;
	uint64_t kx = sort_by == HIST_BY_SIZE	    ? x->size
		      : sort_by == HIST_BY_RETAINED ? x->retained
						    : x->count;
	uint64_t ky = sort_by == HIST_BY_SIZE	    ? y->size
		      : sort_by == HIST_BY_RETAINED ? y->retained
						    : y->count;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return strcmp(heap_str(sort_heap, sort_heap->types[x->type].name, NULL),
		      heap_str(sort_heap, sort_heap->types[y->type].name, NULL));
}

int query_histogram(const struct heap *h, enum hist_order by, struct type_stat **out, size_t *n,
		    uint64_t *count, uint64_t *size, struct hs_error *err)
{
	struct type_stat *s;
	uint64_t *ret = NULL;
	size_t i, k = 0;

	if (by == HIST_BY_RETAINED && !h->idom)
		return hs_error_set(err, HS_EINTERNAL, "retained sizes were not computed");
	s = calloc(h->ntype ? h->ntype : 1, sizeof(*s));
	if (!s)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (h->idom) {
		ret = malloc((h->ntype ? h->ntype : 1) * sizeof(*ret));
		if (!ret || dominator_type_retained(h, ret, err)) {
			free(ret);
			free(s);
			return hs_error_set(err, HS_ENOMEM, "out of memory");
		}
	}
	*count = *size = 0;
	for (i = 0; i < h->nobj; i++) {
		struct type_stat *t = &s[h->obj[i].type];
		uint64_t sz = heap_size(h, (uint32_t)i);

		t->count++;
		t->size += sz;
		if (h->flags[i] & HO_SIZE_EST)
			t->estimated += sz;
		if (sz > t->max)
			t->max = sz;
		*size += sz;
	}
	*count = h->nobj;
	for (i = 0; i < h->ntype; i++)
		if (s[i].count) {
			s[k] = s[i];
			s[k].retained = ret ? ret[i] : 0;
			s[k++].type = (uint32_t)i;
		}
	free(ret);
	{
		struct sort_ctx c = { .h = h, .by = by };

		qsort_r(s, k, sizeof(*s), cmp_stat, &c);
	}
	*out = s;
	*n = k;
	return 0;
}

static int explicit_root(unsigned kind)
{
	return (kind >= HR_MODULES && kind <= HR_FRAME) || kind == HR_GC_GARBAGE;
}

/*
 * Breadth first from the chosen roots over the reverse of "is referred
 * to by": parents are recorded as (object, edge) so the chain can be read
 * back from the target.
 */
static int bfs(const struct heap *h, uint32_t target, int explicit_only, int scanned,
	       uint32_t *parent, uint32_t *pedge, uint32_t *queue)
{
	size_t head = 0, tail = 0, i;

	for (i = 0; i < h->nobj; i++)
		parent[i] = HEAP_NONE;
	for (i = 0; i < h->nroot; i++) {
		uint32_t o = h->roots[i].obj;

		if (explicit_only && !explicit_root(h->roots[i].kind))
			continue;
		if (parent[o] != HEAP_NONE)
			continue;
		parent[o] = o;		/* a root is its own parent */
		pedge[o] = (uint32_t)i; /* ... and remembers which root */
		queue[tail++] = o;
	}
	while (head < tail) {
		uint32_t o = queue[head++], e;

		if (o == target)
			return 1;
		for (e = h->edge_start[o]; e < h->edge_start[o + 1]; e++) {
			uint32_t d = h->edge_dst[e], k = HEAP_EDGE_KIND(h->edge_name[e]);

			if (k == HE_WEAK || (k == HE_SCANNED && !scanned) || parent[d] != HEAP_NONE)
				continue;
			parent[d] = o;
			pedge[d] = e;
			queue[tail++] = d;
		}
	}
	return 0;
}

int query_path(const struct heap *h, uint32_t target, uint32_t **path, uint32_t **edges, size_t *n,
	       uint32_t *root, struct hs_error *err)
{
	uint32_t *parent = malloc((h->nobj + 1) * sizeof(*parent));
	uint32_t *pedge = malloc((h->nobj + 1) * sizeof(*pedge));
	uint32_t *queue = malloc((h->nobj + 1) * sizeof(*queue));
	uint32_t *p = NULL, *e = NULL, o;
	size_t len = 0, i;
	int found = 0, pass;

	*path = *edges = NULL;
	*n = 0;
	if (!parent || !pedge || !queue)
		goto oom;
	/* explicit roots, then all; without scanned edges, then with them:
	 * a chain of real references from an outside holder beats a
	 * scanned one from a module */
	for (pass = 0; pass < 4 && !found; pass++)
		found = bfs(h, target, !(pass & 1), pass >= 2, parent, pedge, queue);
	if (!found)
		goto done;
	for (o = target; parent[o] != o && len <= h->nobj; o = parent[o])
		len++;
	len++;
	p = malloc(len * sizeof(*p));
	e = malloc(len * sizeof(*e));
	if (!p || !e)
		goto oom;
	for (o = target, i = len; i-- > 0; o = parent[o]) {
		p[i] = o;
		if (i)
			e[i - 1] = pedge[o];
	}
	*root = pedge[p[0]];
	*path = p;
	*edges = e;
	*n = len;
done:
	free(parent);
	free(pedge);
	free(queue);
	return found;
oom:
	free(parent);
	free(pedge);
	free(queue);
	free(p);
	free(e);
	return hs_error_set(err, HS_ENOMEM, "out of memory");
}

enum type_match {
	TM_EXACT,      /* the full name */
	TM_END,	       /* a dotted end of it */
	TM_END_NOCASE, /* a dotted end, ignoring case */
	TM_NONE,
};

/* How type name t matches name: the best of enum type_match. */
static enum type_match type_match(const char *t, const char *name)
{
	size_t lt = strlen(t), ln = strlen(name);
	const char *end;

	if (!strcmp(t, name))
		return TM_EXACT;
	if (!ln || ln > lt)
		return TM_NONE;
	end = t + lt - ln;
	if (end > t && end[-1] != '.')
		return TM_NONE;
	if (!strcmp(end, name))
		return TM_END;
	return strcasecmp(end, name) ? TM_NONE : TM_END_NOCASE;
}

size_t query_types_named(const struct heap *h, const char *name, uint8_t *match)
{
	enum type_match best = TM_NONE, m;
	size_t t, n = 0;

	for (t = 0; t < h->ntype; t++) {
		m = type_match(heap_str(h, h->types[t].name, NULL), name);
		if (m < best)
			best = m;
	}
	for (t = 0; t < h->ntype; t++) {
		match[t] = best != TM_NONE &&
			   type_match(heap_str(h, h->types[t].name, NULL), name) == best;
		n += match[t];
	}
	return n;
}

#define NEAR_MAX_LEN 64 /* names compared: longer ones are not near */

/* Edit distance of a and b ignoring case (insertions, deletions,
 * substitutions, transpositions), both at most NEAR_MAX_LEN long. */
static unsigned distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned d[NEAR_MAX_LEN + 1][NEAR_MAX_LEN + 1];
	size_t i, j;

	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned c = tolower((unsigned char)a[i - 1]) !=
				     tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j - 1] + c;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* The least distance of name to t or to a dotted end of t. */
static unsigned near_score(const char *t, const char *name, size_t ln)
{
	unsigned best = ~0u, d;
	const char *end = t;

	for (;;) {
		size_t le = strlen(end);

		if (le <= NEAR_MAX_LEN) {
			d = distance(end, le, name, ln);
			if (d < best)
				best = d;
		}
		end = strchr(end, '.');
		if (!end)
			return best;
		end++;
	}
}

size_t query_types_near(const struct heap *h, const char *name, uint32_t *out, size_t max)
{
	size_t ln = strlen(name), n = 0, t, k, j;
	unsigned limit = ln / 3 ? (unsigned)(ln / 3) : 1, score[16], s;
	const char *tn;

	if (max > 16)
		max = 16;
	if (ln > NEAR_MAX_LEN)
		return 0;
	for (t = 0; t < h->ntype; t++) {
		tn = heap_str(h, h->types[t].name, NULL);
		s = near_score(tn, name, ln);
		if (s > limit)
			continue;
		/* one per name: an equal name already kept stays if nearer */
		for (k = 0; k < n && strcmp(heap_str(h, h->types[out[k]].name, NULL), tn); k++)
			;
		if (k < n) {
			if (score[k] <= s)
				continue;
			memmove(out + k, out + k + 1, (n - k - 1) * sizeof(*out));
			memmove(score + k, score + k + 1, (n - k - 1) * sizeof(*score));
			n--;
		}
		/* nearest first, then by name */
		for (k = 0; k < n; k++)
			if (s < score[k] ||
			    (s == score[k] &&
			     strcmp(tn, heap_str(h, h->types[out[k]].name, NULL)) < 0))
				break;
		if (k == max)
			continue;
		j = n < max ? n : max - 1;
		memmove(out + k + 1, out + k, (j - k) * sizeof(*out));
		memmove(score + k + 1, score + k, (j - k) * sizeof(*score));
		out[k] = (uint32_t)t;
		score[k] = s;
		if (n < max)
			n++;
	}
	return n;
}

int query_parse_addr(const char *s, uint64_t *addr)
{
	char *end;
	unsigned long long v;

	/* 0x... is hex, anything else decimal: a leading 0 is not octal */
	errno = 0;
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || end == s || *end)
		return -1;
	*addr = v;
	return 0;
}
