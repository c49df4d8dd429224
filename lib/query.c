/*
 * query.c - histogram, paths from roots, type matching.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
	uint64_t kx = sort_by == HIST_BY_SIZE ? x->size : x->count;
	uint64_t ky = sort_by == HIST_BY_SIZE ? y->size : y->count;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return strcmp(heap_str(sort_heap, sort_heap->types[x->type].name, NULL),
		      heap_str(sort_heap, sort_heap->types[y->type].name, NULL));
}

int query_histogram(const struct heap *h, enum hist_order by, struct type_stat **out,
		    size_t *n, uint64_t *count, uint64_t *size, struct hs_error *err)
{
	struct type_stat *s = calloc(h->ntype ? h->ntype : 1, sizeof(*s));
	size_t i, k = 0;

	if (!s)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	*count = *size = 0;
	for (i = 0; i < h->nobj; i++) {
		struct type_stat *t = &s[h->obj[i].type];
		uint64_t sz = heap_size(h, (uint32_t)i);

		t->count++;
		t->size += sz;
		if (sz > t->max)
			t->max = sz;
		*size += sz;
	}
	*count = h->nobj;
	for (i = 0; i < h->ntype; i++)
		if (s[i].count) {
			s[k] = s[i];
			s[k++].type = (uint32_t)i;
		}
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
		pedge[o] = (uint32_t)i;	/* ... and remembers which root */
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

int query_path(const struct heap *h, uint32_t target, uint32_t **path, uint32_t **edges,
	       size_t *n, uint32_t *root, struct hs_error *err)
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

int query_type_matches(const char *t, const char *name)
{
	const char *dot;

	if (!strcmp(t, name))
		return 1;
	dot = strrchr(t, '.');
	return dot && !strchr(name, '.') && !strcmp(dot + 1, name);
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
