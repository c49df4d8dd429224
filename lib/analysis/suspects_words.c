/*
 * suspects_words.c - a leak suspect in words a developer can act on:
 * where it is (the module and attribute path that leads to it) and one
 * sentence ("list at module app attribute `pool._pending` holds 190,000
 * Thread objects, 41% of the heap (74.4 MiB retained)").
 */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "query.h"
#include "suspects.h"

static const char *short_type(const char *t)
{
	const char *dot = strrchr(t, '.');

	return dot ? dot + 1 : t;
}

static int edge_is(const struct heap *h, uint32_t name, unsigned kind, const char *text)
{
	return HEAP_NAME_KIND(name) == kind && HEAP_PAYLOAD(name) < h->nname &&
	       !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(name)], NULL), text);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int suspect_names_build(const struct heap *h, struct suspect_names *m, struct hs_error *err)
{
	size_t i, n = 0, cap = 64;
	uint32_t e;

	memset(m, 0, sizeof(*m));
	m->is_module = calloc(h->ntype ? h->ntype : 1, 1);
	m->v = malloc(cap * sizeof(*m->v));
	if (!m->is_module || !m->v)
		goto oom;
	for (i = 0; i < h->ntype; i++)
		m->is_module[i] = !strcmp(heap_str(h, h->types[i].name, NULL), "module");
	for (i = 0; i < h->nobj; i++) {
		if (h->obj[i].type >= h->ntype || !m->is_module[h->obj[i].type])
			continue;
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			if (!edge_is(h, h->edge_name[e], HN_FIELD, "__dict__") ||
			    h->edge_dst[e] >= h->nobj)
				continue;
			if (n == cap) {
				uint64_t *v = realloc(m->v, 2 * cap * sizeof(*v));

				if (!v)
					goto oom;
				m->v = v;
				cap *= 2;
			}
			m->v[n++] = (uint64_t)h->edge_dst[e] << 32 | i;
		}
	}
	qsort(m->v, n, sizeof(*m->v), cmp_u64);
	m->n = n;
	return 0;
oom:
	suspect_names_release(m);
	hs_error_set(err, HS_ENOMEM, "out of memory");
	return -1;
}

void suspect_names_release(struct suspect_names *m)
{
	free(m->v);
	free(m->is_module);
	memset(m, 0, sizeof(*m));
}

/* The module whose namespace dict d is, or HEAP_NONE. */
static uint32_t module_of_dict(const struct suspect_names *m, uint32_t d)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((m->v[mid] >> 32) < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && (m->v[lo] >> 32) == d ? (uint32_t)m->v[lo] : HEAP_NONE;
}

static void module_name(const struct heap *h, uint32_t m, char *buf, size_t len)
{
	uint32_t e;

	snprintf(buf, len, "?");
	for (e = h->edge_start[m]; e < h->edge_start[m + 1]; e++) {
		uint32_t d = h->edge_dst[e];

		if (edge_is(h, h->edge_name[e], HN_FIELD, "__name__") && d < h->nobj &&
		    h->obj[d].value != HEAP_NONE) {
			snprintf(buf, len, "%s", heap_str(h, h->obj[d].value, NULL));
			return;
		}
	}
}

/* "['name']" -> "name" when name is an identifier, else NULL. */
static const char *ident_key(const char *text, char *buf, size_t len)
{
	size_t n = strlen(text), i;

	if (n < 5 || text[0] != '[' || text[1] != '\'' || text[n - 2] != '\'' ||
	    text[n - 1] != ']' || n - 4 >= len)
		return NULL;
	for (i = 2; i < n - 2; i++)
		if (!(isalnum((unsigned char)text[i]) || text[i] == '_'))
			return NULL;
	if (isdigit((unsigned char)text[2]))
		return NULL;
	memcpy(buf, text + 2, n - 4);
	buf[n - 4] = '\0';
	return buf;
}

static void append(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	snprintf(buf + o, len - o, "%s", s);
}

static void describe(const struct heap *h, const struct suspect_names *mm, const uint32_t *path,
		     const uint32_t *edges, size_t n, uint32_t root, struct suspect_words *w)
{
	size_t k, from = 0, end;
	uint32_t mod = HEAP_NONE;
	int ns = 0; /* the current object is a namespace: keys read as attributes */
	char name[300], key[300];

	w->module[0] = w->expr[0] = w->text[0] = w->subject[0] = '\0';
	/* the last module (or module namespace) on the way */
	for (k = n; k-- > 0;) {
		uint32_t o = path[k];

		if (h->obj[o].type < h->ntype && mm->is_module[h->obj[o].type]) {
			mod = o;
		} else {
			mod = module_of_dict(mm, o);
			ns = mod != HEAP_NONE;
		}
		if (mod != HEAP_NONE) {
			from = k;
			break;
		}
	}
	if (mod != HEAP_NONE)
		module_name(h, mod, w->module, sizeof(w->module));
	/* the way is said by the names of its references up to the first
	 * one that has none (found by a conservative scan): the point is
	 * then inside the object that reference comes from */
	for (end = from + 1; end < n; end++)
		if (HEAP_NAME_KIND(h->edge_name[edges[end - 1]]) == HN_NONE)
			break;
	w->via = end < n ? path[end - 1] : HEAP_NONE;
	for (k = from + 1; k < end; k++) {
		uint32_t e = h->edge_name[edges[k - 1]];
		const char *id;

		heap_edge_text(h, e, name, sizeof(name));
		/* a __dict__ on the way reads as its attributes; the last
		 * object said being one is said */
		if (edge_is(h, e, HN_FIELD, "__dict__") && k + 1 < end) {
			ns = 1;
			continue;
		}
		if (HEAP_NAME_KIND(e) == HN_VALUE && ns &&
		    (id = ident_key(name, key, sizeof(key)))) {
			append(w->expr, sizeof(w->expr), ".");
			append(w->expr, sizeof(w->expr), id);
		} else if (HEAP_NAME_KIND(e) == HN_FIELD || HEAP_NAME_KIND(e) == HN_LOCAL) {
			append(w->expr, sizeof(w->expr), ".");
			append(w->expr, sizeof(w->expr), name);
		} else if (HEAP_NAME_KIND(e) == HN_KEY) {
			append(w->expr, sizeof(w->expr), "<");
			append(w->expr, sizeof(w->expr), name);
			append(w->expr, sizeof(w->expr), ">");
		} else {
			append(w->expr, sizeof(w->expr), name);
		}
		ns = 0;
	}
	{
		const char *x = w->expr[0] == '.' ? w->expr + 1 : w->expr;

		if (mod != HEAP_NONE) {
			if (x[0])
				snprintf(w->text, sizeof(w->text), "module %s attribute `%s`",
					 w->module, x);
			else
				snprintf(w->subject, sizeof(w->subject), "%smodule %s",
					 ns ? "the namespace of " : "", w->module);
			if (!x[0])
				snprintf(w->text, sizeof(w->text), "%s", w->subject);
			if (w->via != HEAP_NONE)
				w->subject[0] = '\0'; /* the point is inside it */
			memmove(w->expr, x, strlen(x) + 1);
			return;
		}
		/* no module: "`cache['items']` from root 'thread 12 frame f (a.py:3)'" */
		name[0] = '\0';
		if (h->roots[root].name)
			heap_edge_text(h, h->roots[root].name, name, sizeof(name));
		append(name, sizeof(name), name[0] ? w->expr : x);
		memmove(w->expr, name, strlen(name) + 1);
		if (name[0])
			snprintf(w->text, sizeof(w->text), "`%.300s` from root '%.300s'", name,
				 heap_str(h, h->roots[root].label, NULL));
		else
			snprintf(w->text, sizeof(w->text), "root '%.300s'",
				 heap_str(h, h->roots[root].label, NULL));
	}
}

static void sentence(const struct heap *h, const struct suspect *s, const struct suspect_words *w,
		     double pct, char *buf, size_t len)
{
	char cnt[32], ret[32];
	const char *t = short_type(heap_type_name(h, s->point));

	char what[1400];

	heap_count_text(s->elem_count, cnt, sizeof(cnt));
	heap_size_text(s->retained, ret, sizeof(ret));
	if (w->subject[0])
		snprintf(what, sizeof(what), "%s", w->subject);
	else if (w->via == HEAP_NONE)
		snprintf(what, sizeof(what), "%s at %s", t, w->text);
	else if (w->module[0] && !w->expr[0]) /* inside the module itself */
		snprintf(what, sizeof(what), "%s inside %s", t, w->text);
	else
		snprintf(what, sizeof(what), "%s inside the %s at %s", t,
			 short_type(heap_type_name(h, w->via)), w->text);
	if (s->elem_type != HEAP_NONE && s->elem_count > 1)
		snprintf(buf, len, "%s holds %s %s objects, %.0f%% of the heap (%s retained)", what,
			 cnt, short_type(heap_str(h, h->types[s->elem_type].name, NULL)), pct, ret);
	else
		snprintf(buf, len, "%s retains %s, %.0f%% of the heap", what, ret, pct);
}

int suspect_explain(const struct heap *h, const struct suspect_names *names,
		    const struct suspect *s, uint64_t total, struct suspect_words *w,
		    struct hs_error *err)
{
	int found;

	memset(w, 0, sizeof(*w));
	w->via = HEAP_NONE;
	w->pct = total ? 100.0 * (double)s->retained / (double)total : 0.0;
	found = query_path(h, s->point, &w->path, &w->edges, &w->npath, &w->root, err);
	if (found < 0)
		return -1;
	w->found = found;
	if (found)
		describe(h, names, w->path, w->edges, w->npath, w->root, w);
	else
		snprintf(w->text, sizeof(w->text), "(no path from a root)");
	sentence(h, s, w, w->pct, w->sentence, sizeof(w->sentence));
	return 0;
}

void suspect_words_release(struct suspect_words *w)
{
	free(w->path);
	free(w->edges);
	w->path = w->edges = NULL;
}
