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
 * Nodes, then edges, then the strings they refer to, which are kept as
 * offsets into the heap's blob (plus a kind), not as text; a string is
 * at most STR_MAX bytes.  A first pass names everything in order, making
 * the strings table, while pieces of 16384 nodes or edges it has named
 * are formatted on every core the process may use and written in order
 * as they are ready (struct run says how each piece knows its names);
 * then the strings, the same way: the same bytes with one thread or
 * two.  JSON escaping as json.c does it (invalid UTF-8 becomes U+FFFD).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "export.h"
#include "base/decimal.h"
#include "heap/heap.h"
#include "json.h"
#include "pieces.h"

#define STR_MAX 1024
#define NODE_FIELDS 7
#define TEXT_LINE_MAX 160 /* a node's or an edge's line, at most */

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

/*
 * Who names and formats a run of nodes, edges or strings.  The first
 * pass (replay 0, out NULL) walks everything in order and makes
 * strings[], each name's index the count of entries before it.  Then the
 * runs are formatted in parallel, each into its own out, replaying the
 * names from
 * the count at its start: an entry made anew takes the count; a cached
 * one was made by this run exactly when its index is the count.  So
 * every thread writes the bytes one thread would.
 */
struct run {
	struct hsnap *s;
	struct export *x; /* the first pass's: progress */
	struct outbuf *out;
	uint32_t count; /* strings[] entries made before this point */
	int replay;
};

/* A new strings[] entry; its index (0 after OOM: the output is dropped). */
static uint32_t str_add(struct run *r, enum str_kind kind, uint32_t payload)
{
	struct hsnap *s = r->s;

	if (r->replay)
		return r->count++;
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
	r->count = (uint32_t)s->nstr + 1;
	return (uint32_t)s->nstr++;
}

static uint32_t cached(struct run *r, uint32_t *slot, enum str_kind kind, uint32_t payload)
{
	if (r->replay) {
		if (*slot == r->count)
			r->count++;
		return *slot;
	}
	if (!*slot)
		*slot = str_add(r, kind, payload);
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

static uint32_t node_name(struct run *r, uint32_t i, unsigned kind)
{
	struct hsnap *s = r->s;
	const struct heap *h = s->h;
	uint32_t t = h->obj[i].type, v;

	if (kind == NT_STRING && h->obj[i].value != HEAP_NONE)
		return str_add(r, SK_TEXT, h->obj[i].value);
	if (kind == NT_CLOSURE && ((v = field_value(h, i, "__qualname__")) != HEAP_NONE ||
				   (v = field_value(h, i, "__name__")) != HEAP_NONE))
		return str_add(r, SK_TEXT, v);
	if (t >= h->ntype)
		return FX_UNKNOWN;
	return cached(r, &s->type_str[t], SK_TEXT, h->types[t].name);
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
static uint32_t edge_name(struct run *r, uint32_t name)
{
	struct hsnap *s = r->s;
	const struct heap *h = s->h;
	uint32_t p = HEAP_PAYLOAD(name);
	unsigned nk = HEAP_NAME_KIND(name);

	if (nk == HN_INDEX)
		return str_add(r, SK_INDEX, p);
	if (nk == HN_NONE || nk > HN_LOCAL || p >= h->nname)
		return HEAP_EDGE_KIND(name) == HE_SCANNED ? FX_SCANNED : FX_UNKNOWN;
	if (nk == HN_VALUE)
		return cached(r, &s->name_str[3 * (size_t)p + 1], SK_VALUE, h->names[p]);
	if (nk == HN_KEY)
		return cached(r, &s->name_str[3 * (size_t)p + 2], SK_KEY, h->names[p]);
	return cached(r, &s->name_str[3 * (size_t)p], SK_TEXT, h->names[p]);
}

/* A node's line at p (at most TEXT_LINE_MAX bytes); returns its end. */
static char *put_node(char *p, int first, unsigned type, uint32_t name, uint64_t id, uint64_t size,
		      uint64_t edges)
{
	if (!first)
		*p++ = ',';
	p = dec_u64(p, type);
	*p++ = ',';
	p = dec_u64(p, name);
	*p++ = ',';
	p = dec_u64(p, id);
	*p++ = ',';
	p = dec_u64(p, size > UINT32_MAX ? UINT32_MAX : size);
	*p++ = ',';
	p = dec_u64(p, edges);
	memcpy(p, ",0,0\n", 5);
	return p + 5;
}

/* An edge's line at p (at most TEXT_LINE_MAX bytes); returns its end. */
static char *put_edge(char *p, int first, unsigned type, uint32_t name_or_index, uint64_t to)
{
	if (!first)
		*p++ = ',';
	p = dec_u64(p, type);
	*p++ = ',';
	p = dec_u64(p, name_or_index);
	*p++ = ',';
	p = dec_u64(p, to * NODE_FIELDS);
	*p++ = '\n';
	return p;
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

static void put_string(const struct hsnap *s, FILE *f, uint64_t entry)
{
	const struct heap *h = s->h;
	uint32_t p = (uint32_t)entry;
	char buf[STR_MAX + 400], edge[300];
	const char *t;
	size_t len;
	int n;

	switch (entry >> 32) {
	case SK_FIXED:
		json_put_strn(f, fixed[p], strlen(fixed[p]));
		return;
	case SK_TEXT:
		t = heap_str(h, p, &len);
		json_put_strn(f, t, cut(t, len));
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
	json_put_strn(f, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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

/* ---- runs of the output, formatted in parallel ---- */

#define PIECE_OBJECTS 16384 /* nodes, edges or strings a piece */

enum piece_kind { PK_NODES, PK_ROOTS, PK_EDGES, PK_STRINGS };

/* Room for a line, or NULL (when not formatting, or out of memory). */
static char *line(struct run *r)
{
	return r->out ? outbuf_room(r->out, TEXT_LINE_MAX) : NULL;
}

static void run_piece(struct run *r, const struct piece *pc)
{
	const struct heap *h = r->s->h;
	size_t i, k;
	uint32_t e;
	char *at;
	FILE *f;

	switch (pc->kind) {
	case PK_NODES:
		for (i = pc->from; i < pc->to; i++) {
			unsigned kind = h->obj[i].type < h->ntype ? r->s->type_kind[h->obj[i].type]
								  : NT_OBJECT;
			uint32_t name = node_name(r, (uint32_t)i, kind);

			if ((at = line(r)))
				r->out->len =
					(size_t)(put_node(at, 0, kind, name, (uint64_t)i + 2,
							  heap_size(h, (uint32_t)i),
							  h->edge_start[i + 1] - h->edge_start[i]) -
						 r->out->buf);
		}
		break;
	case PK_ROOTS:
		for (k = 0; k < h->nroot; k++) {
			uint32_t name = str_add(r, SK_ROOT, (uint32_t)k);

			if ((at = line(r)))
				r->out->len = (size_t)(put_edge(at, !k, ET_INTERNAL, name,
								(uint64_t)h->roots[k].obj + 1) -
						       r->out->buf);
		}
		break;
	case PK_EDGES: /* edges by index: a line does not name its source */
		for (e = (uint32_t)pc->from; e < pc->to; e++) {
			uint32_t name = h->edge_name[e];
			unsigned type = edge_type(name);
			uint32_t n = type == ET_ELEMENT ? HEAP_PAYLOAD(name) : edge_name(r, name);

			if ((at = line(r)))
				r->out->len = (size_t)(put_edge(at, !h->nroot && !e, type, n,
								(uint64_t)h->edge_dst[e] + 1) -
						       r->out->buf);
		}
		break;
	case PK_STRINGS:
		if (!(f = outbuf_open(r->out))) {
			r->out->failed = 1;
			break;
		}
		for (k = pc->from; k < pc->to; k++) {
			if (k)
				fputs_unlocked(",\n", f);
			put_string(r->s, f, r->s->str[k]);
		}
		if (fclose(f))
			r->out->failed = 1;
		break;
	}
}

/* The first pass over a piece, before it may be formatted: the names
 * it makes, and the count it starts from, left in pc->arg. */
static int name_piece(void *ctx, struct piece *pc)
{
	struct run *first = ctx;

	pc->arg = first->count;
	run_piece(first, pc);
	return first->s->oom ? -1 : 0;
}

/* A piece formatted, replaying its names from the count it starts at. */
static int format_piece(void *ctx, const struct piece *pc, struct outbuf *out)
{
	struct run *first = ctx;
	struct run r = { .s = first->s, .out = out, .count = (uint32_t)pc->arg, .replay = 1 };

	run_piece(&r, pc);
	return out->failed ? -1 : 0;
}

static void piece_written(void *ctx, const struct piece *pc, size_t k, size_t n)
{
	struct run *first = ctx;

	export_progress(first->x,
			pc->kind == PK_NODES	 ? "objects"
			: pc->kind == PK_STRINGS ? "strings"
						 : "references",
			k, n);
}

static void write_all(struct hsnap *s, struct export *x)
{
	const struct heap *h = s->h;
	size_t per = (h->nobj + PIECE_OBJECTS - 1) / PIECE_OBJECTS +
		     (h->nedge + PIECE_OBJECTS - 1) / PIECE_OBJECTS;
	size_t nodes;
	struct piece *p = calloc(per + 1, sizeof(*p)), *sp = NULL;
	struct run first = { .s = s, .x = x, .count = (uint32_t)s->nstr };
	struct pieces job = { .f = s->f,
			      .p = p,
			      .ctx = &first,
			      .prepare = name_piece,
			      .format = format_piece,
			      .written = piece_written };
	char root[TEXT_LINE_MAX];
	double t0 = cmd_clock();

	if (!p) {
		s->oom = 1;
		return;
	}
	nodes = pieces_cut(p, 0, PK_NODES, h->nobj, PIECE_OBJECTS);
	p[nodes] = (struct piece){ .kind = PK_ROOTS, .to = h->nroot, .lead = "],\n\"edges\":[" };
	job.n = pieces_cut(p, nodes + 1, PK_EDGES, h->nedge, PIECE_OBJECTS);
	fputs(meta, s->f);
	fprintf(s->f, "\"node_count\":%zu,\"edge_count\":%zu,\"trace_function_count\":0},\n",
		h->nobj + 1, h->nedge + h->nroot);
	fputs("\"nodes\":[", s->f);
	fwrite(root, 1, (size_t)(put_node(root, 1, NT_SYNTHETIC, FX_ROOTS, 1, 0, h->nroot) - root),
	       s->f);
	/* the first pass (every name, strings[] made in output order) as
	 * the nodes and edges are formatted */
	if (pieces_write(&job))
		goto oom;
	cmd_timing("nodes and edges", t0);
	t0 = cmd_clock();
	sp = calloc((s->nstr + PIECE_OBJECTS - 1) / PIECE_OBJECTS + 1, sizeof(*sp));
	if (!sp)
		goto oom;
	fputs("],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n"
	      "\"locations\":[],\n\"strings\":[",
	      s->f);
	job.p = sp;
	job.n = pieces_cut(sp, 0, PK_STRINGS, s->nstr, PIECE_OBJECTS);
	job.prepare = NULL;
	if (pieces_write(&job))
		goto oom;
	fputs("]}\n", s->f);
	cmd_timing("strings", t0);
	free(p);
	free(sp);
	return;
oom:
	s->oom = 1;
	free(p);
	free(sp);
}

int export_heapsnapshot(struct export *x)
{
	const struct heap *h = x->h;
	struct hsnap s = { .h = h, .f = x->f };
	struct run r = { .s = &s };
	size_t k;
	int st = 0;

	s.type_str = calloc(h->ntype + 1, sizeof(*s.type_str));
	s.type_kind = calloc(h->ntype + 1, 1);
	s.name_str = calloc(3 * h->nname + 1, sizeof(*s.name_str));
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		str_add(&r, SK_FIXED, (uint32_t)k);
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
