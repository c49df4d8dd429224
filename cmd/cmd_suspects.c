/*
 * cmd_suspects.c - heapscope suspects: what keeps most of the heap alive,
 * said where a developer can act on it.
 */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "heap.h"
#include "json.h"
#include "query.h"
#include "suspects.h"

const char cmd_usage_suspects[] =
	"usage: heapscope suspects [--threshold PCT] [-n N] [--json] PID|FILE\n"
	"\n"
	"Leak suspects: the objects that keep more than PCT percent of the heap\n"
	"alive (their retained size: what would be freed with them).  Each is\n"
	"followed down to its accumulation point - the container whose many\n"
	"elements make up the mass - and reported once, with the chain of\n"
	"references from a root to it, the type and number of the elements it\n"
	"holds, and one sentence saying where it is.  No suspect is not an\n"
	"error: the exit status is 0 either way.\n"
	"\n"
	"  --threshold=PCT    share of the heap a suspect retains (default 10)\n"
	"  -n N               show at most N suspects (default 10)\n"
	"PID captures the running process now (it is frozen only while its memory\n"
	"is copied); FILE reads a snapshot taken before.\n"
	"\n"
	"  --json             one JSON object on stdout\n"
	"  --no-stop          (PID) walk without freezing the target\n"
	"  --max-copy=SIZE    (PID) copy at most SIZE bytes of the target's memory\n"
	"  --layout=SOURCE    auto, debug-offsets, dwarf or table\n"
	"  --debug-dir=DIR    directory of separate debug files\n"
	"  --no-cache         do not use the layout cache\n";

#define DEFAULT_THRESHOLD 10.0
#define DEFAULT_ROWS	  10

/* 1234567 as "1,234,567". */
static void grouped(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	size_t n, i, o = 0;

	n = (size_t)snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

static void human(uint64_t n, char *buf, size_t len)
{
	if (n >= 10ull << 30)
		snprintf(buf, len, "%.1f GB", n / 1e9);
	else if (n >= 10ull << 20)
		snprintf(buf, len, "%.0f MB", n / 1e6);
	else if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", n / 1e6);
	else if (n >= 10000)
		snprintf(buf, len, "%.0f kB", n / 1e3);
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

static const char *short_type(const char *t)
{
	const char *dot = strrchr(t, '.');

	return dot ? dot + 1 : t;
}

/* Where a suspect is, in words, from its path. */
struct where {
	char module[256];  /* module name, "" if the path has none */
	char expr[512];	   /* "pool._pending" after the module, or after the root */
	char text[1024];   /* "module app attribute `pool._pending`" */
	char subject[300]; /* the point itself when it is a module or its
			    * namespace: "the namespace of module app" */
};

static int edge_is(const struct heap *h, uint32_t name, unsigned kind, const char *text)
{
	return HEAP_NAME_KIND(name) == kind && HEAP_PAYLOAD(name) < h->nname &&
	       !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(name)], NULL), text);
}

/* Modules and their namespace dicts, sorted by dict. */
struct modmap {
	uint64_t *v; /* dict << 32 | module */
	size_t n;
	const uint8_t *is_module; /* per type */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int modmap_build(const struct heap *h, const uint8_t *is_module, struct modmap *m)
{
	size_t i, n = 0, cap = 64;
	uint32_t e;

	m->is_module = is_module;
	m->n = 0;
	m->v = malloc(cap * sizeof(*m->v));
	if (!m->v)
		return -1;
	for (i = 0; i < h->nobj; i++) {
		if (h->obj[i].type >= h->ntype || !is_module[h->obj[i].type])
			continue;
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			if (!edge_is(h, h->edge_name[e], HN_FIELD, "__dict__") ||
			    h->edge_dst[e] >= h->nobj)
				continue;
			if (n == cap) {
				uint64_t *v = realloc(m->v, 2 * cap * sizeof(*v));

				if (!v)
					return -1;
				m->v = v;
				cap *= 2;
			}
			m->v[n++] = (uint64_t)h->edge_dst[e] << 32 | i;
		}
	}
	qsort(m->v, n, sizeof(*m->v), cmp_u64);
	m->n = n;
	return 0;
}

/* The module whose namespace dict d is, or HEAP_NONE. */
static uint32_t module_of_dict(const struct modmap *m, uint32_t d)
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

static void describe(const struct heap *h, const struct modmap *mm, const uint32_t *path,
		     const uint32_t *edges, size_t n, uint32_t root, struct where *w)
{
	size_t k, from = 0;
	uint32_t mod = HEAP_NONE;
	int ns = 0; /* the current object is a namespace: keys read as attributes */
	char name[300], key[300];

	memset(w, 0, sizeof(*w));
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
	for (k = from + 1; k < n; k++) {
		uint32_t e = h->edge_name[edges[k - 1]];
		const char *id;

		heap_edge_text(h, e, name, sizeof(name));
		if (edge_is(h, e, HN_FIELD, "__dict__")) {
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

static void sentence(const struct heap *h, const struct suspect *s, const struct where *w,
		     double pct, char *buf, size_t len)
{
	char cnt[32], ret[32];
	const char *t = short_type(heap_type_name(h, s->point));

	char what[1400];

	grouped(s->elem_count, cnt, sizeof(cnt));
	human(s->retained, ret, sizeof(ret));
	if (w->subject[0])
		snprintf(what, sizeof(what), "%s", w->subject);
	else
		snprintf(what, sizeof(what), "%s at %s", t, w->text);
	if (s->elem_type != HEAP_NONE && s->elem_count > 1)
		snprintf(buf, len, "%s holds %s %s objects, %.0f%% of the heap (%s retained)", what,
			 cnt, short_type(heap_str(h, h->types[s->elem_type].name, NULL)), pct, ret);
	else
		snprintf(buf, len, "%s retains %s, %.0f%% of the heap", what, ret, pct);
}

static void json_brief(struct json *j, const struct heap *h, uint32_t i)
{
	char sum[256];

	heap_summary(h, i, sum, sizeof(sum));
	json_key(j, "address");
	json_hex(j, h->obj[i].addr);
	json_key(j, "type");
	json_str(j, heap_type_name(h, i));
	json_key(j, "size");
	json_uint(j, heap_size(h, i));
	json_key(j, "summary");
	json_str(j, sum);
}

static void print_path(const struct heap *h, const uint32_t *path, const uint32_t *edges, size_t n,
		       uint32_t root)
{
	char name[300], sum[256];
	size_t k;

	heap_edge_text(h, h->roots[root].name, name, sizeof(name));
	printf("   path: root %s%s%s\n", heap_str(h, h->roots[root].label, NULL),
	       h->roots[root].name ? " " : "", h->roots[root].name ? name : "");
	for (k = 0; k < n; k++) {
		heap_summary(h, path[k], sum, 80);
		if (k)
			heap_edge_text(h, h->edge_name[edges[k - 1]], name, sizeof(name));
		printf("   %s%-20s 0x%-14llx %-16s %s\n", k ? "  -> " : "     ", k ? name : "",
		       (unsigned long long)h->obj[path[k]].addr, heap_type_name(h, path[k]), sum);
	}
}

static void json_path(struct json *j, const struct heap *h, const uint32_t *path,
		      const uint32_t *edges, size_t n, uint32_t root)
{
	char name[300];
	size_t k;

	json_key(j, "path");
	json_begin_obj(j);
	json_key(j, "root");
	json_begin_obj(j);
	json_key(j, "kind");
	json_str(j, heap_root_kind_name(h->roots[root].kind));
	json_key(j, "label");
	json_str(j, heap_str(h, h->roots[root].label, NULL));
	heap_edge_text(h, h->roots[root].name, name, sizeof(name));
	json_key(j, "edge");
	json_str(j, h->roots[root].name ? name : "");
	json_end_obj(j);
	json_key(j, "steps");
	json_begin_arr(j);
	for (k = 0; k < n; k++) {
		json_begin_obj(j);
		json_key(j, "edge");
		if (k) {
			heap_edge_text(h, h->edge_name[edges[k - 1]], name, sizeof(name));
			json_str(j, name);
		} else {
			json_str(j, "");
		}
		json_brief(j, h, path[k]);
		json_end_obj(j);
	}
	json_end_arr(j);
	json_end_obj(j);
}

int cmd_suspects(int argc, char **argv)
{
	const struct command *c = cmd_find("suspects");
	struct hs_error err = HS_ERROR_INIT;
	struct cmd_opts o;
	struct heap h;
	struct suspect *sus = NULL;
	struct json j;
	uint8_t *is_module = NULL;
	struct modmap mm = { 0 };
	uint64_t total = 0;
	size_t n = 0, i, rows;
	double threshold, t0;
	char tot[32], line[1600];
	int st;

	if (cmd_parse(c, OPT_SOURCE | OPT_CAPTURE | OPT_QUERY | OPT_THRESHOLD, argc, argv, &o, &st))
		return st;
	if (o.by || o.type_name)
		return cmd_usage_error(c, "suspects: --by and --type are for top and objects");
	threshold = o.threshold > 0 ? o.threshold : DEFAULT_THRESHOLD;
	rows = o.limit >= 0 ? (size_t)o.limit : DEFAULT_ROWS;
	if ((st = source_open(&o, &h)))
		return st;
	t0 = cmd_clock();
	if (heap_prepare(&h, HEAP_NEED_DOMINATORS, &err))
		goto fail;
	cmd_timing("dominators", t0);
	for (i = 0; i < h.nobj; i++)
		total += heap_size(&h, (uint32_t)i);
	t0 = cmd_clock();
	if (suspects_find(&h, threshold / 100.0, total, &sus, &n, &err))
		goto fail;
	cmd_timing("suspects", t0);
	is_module = calloc(h.ntype ? h.ntype : 1, 1);
	if (!is_module) {
		hs_error_set(&err, HS_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < h.ntype; i++)
		is_module[i] = !strcmp(heap_str(&h, h.types[i].name, NULL), "module");
	if (modmap_build(&h, is_module, &mm)) {
		hs_error_set(&err, HS_ENOMEM, "out of memory");
		goto fail;
	}
	human(total, tot, sizeof(tot));
	if (o.json) {
		json_init(&j, stdout);
		json_begin_obj(&j);
		json_key(&j, "objects");
		json_uint(&j, h.nobj);
		json_key(&j, "size");
		json_uint(&j, total);
		json_key(&j, "threshold_pct");
		json_double(&j, threshold);
		json_key(&j, "suspects_total");
		json_uint(&j, n);
		json_key(&j, "suspects");
		json_begin_arr(&j);
	} else if (!n) {
		printf("no leak suspects: no object retains more than %g%% of the heap (%s in "
		       "%zu objects)\n",
		       threshold, tot, h.nobj);
	} else {
		printf("%zu leak suspect%s retaining more than %g%% of the heap (%s in %zu "
		       "objects):\n",
		       n, n == 1 ? "" : "s", threshold, tot, h.nobj);
	}
	for (i = 0; i < n && i < rows; i++) {
		const struct suspect *s = &sus[i];
		uint32_t *path = NULL, *edges = NULL, root = 0;
		size_t plen = 0;
		struct where w;
		double pct = total ? 100.0 * (double)s->retained / (double)total : 0.0;
		int found = query_path(&h, s->point, &path, &edges, &plen, &root, &err);
		char cnt[32], sum[256];

		if (found < 0)
			goto fail;
		if (found) {
			describe(&h, &mm, path, edges, plen, root, &w);
		} else {
			memset(&w, 0, sizeof(w));
			snprintf(w.text, sizeof(w.text), "(no path from a root)");
		}
		sentence(&h, s, &w, pct, line, sizeof(line));
		if (o.json) {
			json_begin_obj(&j);
			json_key(&j, "sentence");
			json_str(&j, line);
			json_key(&j, "point");
			json_begin_obj(&j);
			json_brief(&j, &h, s->point);
			json_end_obj(&j);
			json_key(&j, "retained");
			json_uint(&j, s->retained);
			json_key(&j, "share_pct");
			json_double(&j, pct);
			json_key(&j, "module");
			json_str(&j, w.module);
			json_key(&j, "attribute");
			json_str(&j, w.expr);
			json_key(&j, "where");
			json_str(&j, w.text);
			json_key(&j, "children");
			json_uint(&j, s->children);
			json_key(&j, "elements");
			if (s->elem_type == HEAP_NONE) {
				json_null(&j);
			} else {
				json_begin_obj(&j);
				json_key(&j, "type");
				json_str(&j, heap_str(&h, h.types[s->elem_type].name, NULL));
				json_key(&j, "count");
				json_uint(&j, s->elem_count);
				json_key(&j, "retained");
				json_uint(&j, s->elem_retained);
				json_end_obj(&j);
			}
			json_key(&j, "start");
			json_begin_obj(&j);
			json_brief(&j, &h, s->start);
			json_key(&j, "retained");
			json_uint(&j, h.retained[s->start]);
			json_end_obj(&j);
			if (found)
				json_path(&j, &h, path, edges, plen, root);
			json_end_obj(&j);
		} else {
			printf("\n%zu. %s\n", i + 1, line);
			heap_summary(&h, s->point, sum, 100);
			printf("   accumulation point: 0x%llx %s %s, retains %llu bytes\n",
			       (unsigned long long)h.obj[s->point].addr,
			       heap_type_name(&h, s->point), sum, (unsigned long long)s->retained);
			if (s->elem_type != HEAP_NONE) {
				grouped(s->elem_count, cnt, sizeof(cnt));
				printf("   elements: %s %s retaining %llu bytes (of %u objects it "
				       "alone keeps alive)\n",
				       cnt, heap_str(&h, h.types[s->elem_type].name, NULL),
				       (unsigned long long)s->elem_retained, s->children);
			}
			if (s->start != s->point) {
				heap_summary(&h, s->start, sum, 100);
				printf("   inside: 0x%llx %s %s, retains %llu bytes\n",
				       (unsigned long long)h.obj[s->start].addr,
				       heap_type_name(&h, s->start), sum,
				       (unsigned long long)h.retained[s->start]);
			}
			if (found)
				print_path(&h, path, edges, plen, root);
		}
		free(path);
		free(edges);
	}
	if (o.json) {
		json_end_arr(&j);
		json_end_obj(&j);
		json_end(&j);
	} else if (n > rows) {
		printf("\n... %zu more (-n)\n", n - rows);
	}
	free(mm.v);
	free(is_module);
	free(sus);
	heap_release(&h);
	return 0;
fail:
	free(mm.v);
	free(is_module);
	free(sus);
	heap_release(&h);
	return cmd_fail(&err);
}
