/*
 * export_heapsnapshot.c - heapscope export --format heapsnapshot: the JSON
 * V8 writes for Chrome DevTools (.heapsnapshot), read by DevTools' Memory
 * tab, memlab and other tools.
 *
 * Node 0 is a synthetic root, "(GC roots)" with id 1, with one internal
 * edge per roots[] entry, named by the root's label; object i is node
 * i + 1 with id i + 2 (readers keep ids and sizes in 32 bits: memlab
 * parses the nodes into a Uint32Array; a self size past 4 GiB is written
 * as 4 GiB - 1).  A node's name is its type's name, a str's value, a
 * function's qualified name; its type "string" for str, "number" for
 * int, float, bool and complex, "closure" for functions, "code" for code,
 * else "object".  Edges: element for [3] (name_or_index the index),
 * property for .attr (the attribute's name), ['key'] and dict keys,
 * context for a frame's locals, internal for fields (__dict__, ob_type)
 * and conservative-scan references, weak for weak references; to_node is
 * the node's index times 7.
 *
 * Written as it goes: nodes, then edges, then the strings they refer to,
 * which are kept as offsets into the heap's blob (plus a kind), not as
 * text; a string is at most STR_MAX bytes.  JSON escaping as json.c
 * does it (invalid UTF-8 becomes U+FFFD).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "export.h"
#include "heap/heap.h"
#include "json.h"

#define STR_MAX 1024
#define NODE_FIELDS 7

enum node_type {
	NT_STRING = 2,
	NT_OBJECT = 3,
	NT_CODE = 4,
	NT_CLOSURE = 5,
	NT_NUMBER = 7,
	NT_SYNTHETIC = 9,
};

enum edge_type {
	ET_CONTEXT = 0,
	ET_ELEMENT = 1,
	ET_PROPERTY = 2,
	ET_INTERNAL = 3,
	ET_WEAK = 6,
};

static const char meta[] =
	"{\"snapshot\":{\"meta\":{"
	"\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\","
	"\"trace_node_id\",\"detachedness\"],\n"
	"\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\","
	"\"regexp\",\"number\",\"native\",\"synthetic\",\"concatenated string\","
	"\"sliced string\",\"symbol\",\"bigint\",\"object shape\"],\"string\",\"number\","
	"\"number\",\"number\",\"number\",\"number\"],\n"
	"\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\n"
	"\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\","
	"\"shortcut\",\"weak\"],\"string_or_number\",\"node\"],\n"
	"\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\","
	"\"line\",\"column\"],\n"
	"\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],\n"
	"\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],\n"
	"\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},\n";

/* What a strings[] entry is, kept as kind << 32 | payload. */
enum str_kind {
	SK_FIXED, /* fixed[payload] */
	SK_TEXT,  /* the blob string at offset payload */
	SK_VALUE, /* "[" text "]": a dict value's name */
	SK_KEY,	  /* "key " text: a dict key's */
	SK_INDEX, /* "[payload]": an index as a name (weak edges) */
	SK_ROOT,  /* the name of roots[payload] */
};

static const char *const fixed[] = { "", "(GC roots)", "?", "(scanned)" };
enum { FX_EMPTY, FX_ROOTS, FX_UNKNOWN, FX_SCANNED };

struct hsnap {
	const struct heap *h;
	FILE *f;
	uint64_t *str; /* strings[] */
	size_t nstr, cap;
	uint32_t *type_str; /* per type: its name's strings[] index, 0 none yet */
	uint32_t *name_str; /* per names[] entry and variant (text, value, key) */
	uint8_t *type_kind; /* per type: enum node_type */
	int oom;
};

/* A new strings[] entry; its index (0 after OOM: the output is dropped). */
static uint32_t str_add(struct hsnap *s, enum str_kind kind, uint32_t payload)
{
	if (s->nstr == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		uint64_t *n = realloc(s->str, cap * sizeof(*n));

		if (!n || s->nstr >= UINT32_MAX - 1) {
			s->oom = 1;
			return 0;
		}
		s->str = n;
		s->cap = cap;
	}
	s->str[s->nstr] = (uint64_t)kind << 32 | payload;
	return (uint32_t)s->nstr++;
}

static uint32_t cached(struct hsnap *s, uint32_t *slot, enum str_kind kind, uint32_t payload)
{
	if (!*slot)
		*slot = str_add(s, kind, payload);
	return *slot;
}

/* Offset of the str value of i's edge named field, or HEAP_NONE. */
static uint32_t field_value(const struct heap *h, uint32_t i, const char *field)
{
	uint32_t e;

	for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
		uint32_t n = h->edge_name[e], d = h->edge_dst[e];

		if (HEAP_NAME_KIND(n) == HN_FIELD && HEAP_PAYLOAD(n) < h->nname &&
		    !strcmp(heap_str(h, h->names[HEAP_PAYLOAD(n)], NULL), field) &&
		    h->obj[d].value != HEAP_NONE)
			return h->obj[d].value;
	}
	return HEAP_NONE;
}

static uint32_t node_name(struct hsnap *s, uint32_t i, unsigned kind)
{
	const struct heap *h = s->h;
	uint32_t t = h->obj[i].type, v;

	if (kind == NT_STRING && h->obj[i].value != HEAP_NONE)
		return str_add(s, SK_TEXT, h->obj[i].value);
	if (kind == NT_CLOSURE && ((v = field_value(h, i, "__qualname__")) != HEAP_NONE ||
				   (v = field_value(h, i, "__name__")) != HEAP_NONE))
		return str_add(s, SK_TEXT, v);
	if (t >= h->ntype)
		return FX_UNKNOWN;
	return cached(s, &s->type_str[t], SK_TEXT, h->types[t].name);
}

static unsigned edge_type(uint32_t name)
{
	if (HEAP_EDGE_KIND(name) == HE_WEAK)
		return ET_WEAK;
	switch (HEAP_NAME_KIND(name)) {
	case HN_INDEX:
		return ET_ELEMENT;
	case HN_ATTR:
	case HN_VALUE:
	case HN_KEY:
		return ET_PROPERTY;
	case HN_LOCAL:
		return ET_CONTEXT;
	default:
		return ET_INTERNAL;
	}
}

/* The strings[] index of an edge's name (types other than element). */
static uint32_t edge_name(struct hsnap *s, uint32_t name)
{
	const struct heap *h = s->h;
	uint32_t p = HEAP_PAYLOAD(name);
	unsigned nk = HEAP_NAME_KIND(name);

	if (nk == HN_INDEX)
		return str_add(s, SK_INDEX, p);
	if (nk == HN_NONE || nk > HN_LOCAL || p >= h->nname)
		return HEAP_EDGE_KIND(name) == HE_SCANNED ? FX_SCANNED : FX_UNKNOWN;
	if (nk == HN_VALUE)
		return cached(s, &s->name_str[3 * (size_t)p + 1], SK_VALUE, h->names[p]);
	if (nk == HN_KEY)
		return cached(s, &s->name_str[3 * (size_t)p + 2], SK_KEY, h->names[p]);
	return cached(s, &s->name_str[3 * (size_t)p], SK_TEXT, h->names[p]);
}

/* Append the decimal digits of v to p; returns the new end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void put_node(struct hsnap *s, int first, unsigned type, uint32_t name, uint64_t id,
		     uint64_t size, uint64_t edges)
{
	char buf[160], *p = buf;

	if (!first)
		*p++ = ',';
	p = put_u64(p, type);
	*p++ = ',';
	p = put_u64(p, name);
	*p++ = ',';
	p = put_u64(p, id);
	*p++ = ',';
	p = put_u64(p, size > UINT32_MAX ? UINT32_MAX : size);
	*p++ = ',';
	p = put_u64(p, edges);
	memcpy(p, ",0,0\n", 5);
	fwrite_unlocked(buf, 1, (size_t)(p - buf) + 5, s->f);
}

static void put_edge(struct hsnap *s, int first, unsigned type, uint32_t name_or_index, uint64_t to)
{
	char buf[80], *p = buf;

	if (!first)
		*p++ = ',';
	p = put_u64(p, type);
	*p++ = ',';
	p = put_u64(p, name_or_index);
	*p++ = ',';
	p = put_u64(p, to * NODE_FIELDS);
	*p++ = '\n';
	fwrite_unlocked(buf, 1, (size_t)(p - buf), s->f);
}

/* At most STR_MAX bytes of s, not ending inside a UTF-8 sequence. */
static size_t cut(const char *s, size_t len)
{
	if (len <= STR_MAX)
		return len;
	len = STR_MAX;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

static void put_string(struct hsnap *s, uint64_t entry)
{
	const struct heap *h = s->h;
	uint32_t p = (uint32_t)entry;
	char buf[STR_MAX + 400], edge[300];
	const char *t;
	size_t len;
	int n;

	switch (entry >> 32) {
	case SK_FIXED:
		json_put_strn(s->f, fixed[p], strlen(fixed[p]));
		return;
	case SK_TEXT:
		t = heap_str(h, p, &len);
		json_put_strn(s->f, t, cut(t, len));
		return;
	case SK_VALUE:
	case SK_KEY:
		t = heap_str(h, p, &len);
		len = cut(t, len);
		n = snprintf(buf, sizeof(buf), "%s%.*s%s", entry >> 32 == SK_KEY ? "key " : "[",
			     (int)len, t, entry >> 32 == SK_KEY ? "" : "]");
		break;
	case SK_INDEX:
		n = snprintf(buf, sizeof(buf), "[%u]", p);
		break;
	default: {
		const struct heap_root *r = &h->roots[p];

		t = heap_str(h, r->label, &len);
		if (!len)
			t = heap_root_kind_name(r->kind), len = strlen(t);
		len = cut(t, len);
		heap_edge_text(h, r->name, edge, sizeof(edge));
		n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)len, t, r->name ? " " : "",
			     r->name ? edge : "");
		break;
	}
	}
	/* %.*s stops at a NUL inside a value; the rest is lost, not broken */
	json_put_strn(s->f, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int kind_of_type(const char *name)
{
	if (!strcmp(name, "str"))
		return NT_STRING;
	if (!strcmp(name, "int") || !strcmp(name, "float") || !strcmp(name, "bool") ||
	    !strcmp(name, "complex"))
		return NT_NUMBER;
	if (!strcmp(name, "function"))
		return NT_CLOSURE;
	if (!strcmp(name, "code"))
		return NT_CODE;
	return NT_OBJECT;
}

static void write_all(struct hsnap *s, struct export *x)
{
	const struct heap *h = s->h;
	size_t i, k;
	uint32_t e;

	fputs(meta, s->f);
	fprintf(s->f, "\"node_count\":%zu,\"edge_count\":%zu,\"trace_function_count\":0},\n",
		h->nobj + 1, h->nedge + h->nroot);
	fputs("\"nodes\":[", s->f);
	put_node(s, 1, NT_SYNTHETIC, FX_ROOTS, 1, 0, h->nroot);
	for (i = 0; i < h->nobj; i++) {
		unsigned kind =
			h->obj[i].type < h->ntype ? s->type_kind[h->obj[i].type] : NT_OBJECT;

		put_node(s, 0, kind, node_name(s, (uint32_t)i, kind), (uint64_t)i + 2,
			 heap_size(h, (uint32_t)i), h->edge_start[i + 1] - h->edge_start[i]);
		if (!(i & 0xffff))
			export_progress(x, "objects", i, h->nobj);
	}
	fputs("],\n\"edges\":[", s->f);
	for (k = 0; k < h->nroot; k++)
		put_edge(s, !k, ET_INTERNAL, str_add(s, SK_ROOT, (uint32_t)k),
			 (uint64_t)h->roots[k].obj + 1);
	for (i = 0; i < h->nobj; i++) {
		for (e = h->edge_start[i]; e < h->edge_start[i + 1]; e++) {
			uint32_t name = h->edge_name[e];
			unsigned type = edge_type(name);

			put_edge(s, !h->nroot && !e, type,
				 type == ET_ELEMENT ? HEAP_PAYLOAD(name) : edge_name(s, name),
				 (uint64_t)h->edge_dst[e] + 1);
		}
		if (!(i & 0xffff))
			export_progress(x, "references", h->edge_start[i], h->nedge);
	}
	fputs("],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n"
	      "\"locations\":[],\n\"strings\":[",
	      s->f);
	for (k = 0; k < s->nstr; k++) {
		if (k)
			fputs(",\n", s->f);
		put_string(s, s->str[k]);
		if (!(k & 0xffff))
			export_progress(x, "strings", k, s->nstr);
	}
	fputs("]}\n", s->f);
}

int export_heapsnapshot(struct export *x)
{
	const struct heap *h = x->h;
	struct hsnap s = { .h = h, .f = x->f };
	size_t k;
	int st = 0;

	s.type_str = calloc(h->ntype + 1, sizeof(*s.type_str));
	s.type_kind = calloc(h->ntype + 1, 1);
	s.name_str = calloc(3 * h->nname + 1, sizeof(*s.name_str));
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		str_add(&s, SK_FIXED, (uint32_t)k);
	if (s.type_kind)
		for (k = 0; k < h->ntype; k++)
			s.type_kind[k] = (uint8_t)kind_of_type(heap_str(h, h->types[k].name, NULL));
	if (!s.type_str || !s.type_kind || !s.name_str || s.oom) {
		s.oom = 1;
	} else {
		write_all(&s, x);
	}
	if (s.oom) {
		export_progress_end(x);
		fputs("heapscope: out of memory for the heap snapshot's strings\n", stderr);
		st = hs_exit_status(HS_ENOMEM);
	}
	free(s.str);
	free(s.type_str);
	free(s.type_kind);
	free(s.name_str);
	return st;
}
