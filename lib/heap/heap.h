/*
 * heap.h - the heap graph: every object of a capture, its edges, roots.
 *
 * Compact arrays, never one allocation per object (DESIGN.md step 5):
 *   obj[]                 24 bytes per object (address, size, type, refcount,
 *                         value), in walk order: index = object id;
 *   flags[]               one byte per object (enum heap_obj_flags);
 *   edge_start[nobj + 1]  CSR offsets into edge_dst[] / edge_name[];
 *   rev_start/rev_src/rev_edge   the reverse edges, built on demand
 *                         (heap_prepare), as is the address index;
 *   types[]               one per distinct ob_type;
 *   names[]               interned edge names (offsets into strings);
 *   roots[]               why an object is a root, with a label;
 *   strings               one blob of length-prefixed byte strings;
 *   idom/retained/reach   the dominator tree and retained sizes, built on
 *                         demand (HEAP_NEED_DOMINATORS, dominator.h).
 * The same arrays are what a snapshot file holds (snapshot.c), so a loaded
 * snapshot points straight into its mapping.
 *
 * Invariants once finished: every edge_dst and root obj is < nobj; every
 * object value, type name and root label points inside the blob; other
 * string offsets are not checked, and heap_str reads a bad one as "";
 * edge_start is non-decreasing and ends at nedge.  snapshot_load() checks
 * all of them.
 *
 * Dominators (once HEAP_NEED_DOMINATORS is prepared), from one super-root
 * whose children are all roots[] objects, over strong and scanned edges
 * (never weak ones):
 *   reach[i / 8] bit i % 8   i is reachable from a root (heap_reachable);
 *   idom[i]      the object index of i's immediate dominator, or
 *                HEAP_NONE when that is the super-root (no single object
 *                keeps i alive) and for unreachable objects;
 *   retained[i]  bytes freed if i went: the sum of heap_size() over i's
 *                dominator subtree, i included (>= heap_size(i)); 0 for
 *                unreachable objects (garbage: they keep nothing alive
 *                that a root needs).
 * For reachable i with idom[i] = d != HEAP_NONE: d is reachable, d's
 * retained >= i's + heap_size(d), and following idom from i ends at
 * HEAP_NONE within nobj steps.  They are computed in memory (also for a
 * loaded snapshot, whose mapping stays read-only) and freed by
 * heap_release.
 */
#ifndef HS_HEAP_H
#define HS_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define HEAP_NONE UINT32_MAX

/* A well-mixed hash of an address or any 64-bit key (murmur3's
 * finalizer): every bit of the key reaches the low bits tables use. */
static inline size_t heap_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (size_t)x;
}
/* obj.size at this value: the real size is in big_sizes. */
#define HEAP_BIG_SIZE UINT32_MAX
#define HEAP_MAX_OBJECTS (1u << 31)
#define HEAP_MAX_EDGES (UINT32_MAX - 1)

enum heap_obj_flags {
	HO_GC = 1 << 0,	      /* tracked by the collector (on a GC list) */
	HO_IMMORTAL = 1 << 1, /* 3.12+ immortal refcount */
	HO_ROOT = 1 << 2,     /* a root: see roots[] for why */
	HO_OUTSIDE = 1 << 3,  /* refcount exceeds the references found */
	HO_SIZE_EST = 1 << 4, /* size is an estimate (opaque C type) */
	HO_SCANNED = 1 << 5,  /* referents from a conservative scan */
	HO_TRUNC = 1 << 6,    /* value text truncated */
	HO_BROKEN = 1 << 7,   /* could not be decoded whole (inconsistent) */
};

/* An edge's name: 2 bits of edge kind, 3 bits of name kind, 27 bits of
 * payload (an index into names[] or an integer). */
enum heap_edge_kind {
	HE_STRONG = 0,
	HE_WEAK = 1,	 /* a weak reference: not kept alive by it */
	HE_SCANNED = 2,	 /* found by a conservative scan */
	HE_BORROWED = 3, /* holds the object, but is not counted in its
			  * refcount (a frame's f_globals, a borrowed or
			  * deferred stack slot): kept alive all the same */
};

enum heap_name_kind {
	HN_NONE = 0,
	HN_FIELD = 1, /* "__dict__", "f_back": names[] text as is */
	HN_ATTR = 2,  /* ".text" */
	HN_INDEX = 3, /* "[n]" */
	HN_VALUE = 4, /* "[text]": dict value; text is the key's repr */
	HN_KEY = 5,   /* "key text": dict key */
	HN_LOCAL = 6, /* "text": a frame's local variable */
};

#define HEAP_PAYLOAD_MAX ((1u << 27) - 1)
#define HEAP_EDGE(ek, nk, payload) \
	((uint32_t)(ek) << 30 | (uint32_t)(nk) << 27 | ((uint32_t)(payload)&HEAP_PAYLOAD_MAX))
#define HEAP_EDGE_KIND(e) ((e) >> 30)
#define HEAP_NAME_KIND(e) (((e) >> 27) & 7)
#define HEAP_PAYLOAD(e) ((e)&HEAP_PAYLOAD_MAX)

struct heap_obj {
	uint64_t addr;
	uint32_t size;	 /* sys.getsizeof; HEAP_BIG_SIZE: see big */
	uint32_t type;	 /* index into types[] */
	uint32_t refcnt; /* ob_refcnt, saturated */
	uint32_t value;	 /* string offset of the value text, or HEAP_NONE */
};

struct heap_type {
	uint64_t addr; /* the type object in the target */
	uint32_t name; /* string: "dict", "app.models.User" */
	uint32_t obj;  /* its object index, HEAP_NONE if not walked */
};

/* Why an object is a root. */
enum heap_root_kind {
	HR_MODULES = 1, /* sys.modules */
	HR_SYSDICT,	/* the sys module's dict */
	HR_BUILTINS,	/* the builtins dict */
	HR_THREAD,	/* a thread state's dict, exception, context */
	HR_FRAME,	/* a local or stack slot of a running frame */
	HR_STATIC_TYPE, /* a type object defined in C */
	HR_INTERNED,	/* an interned string */
	HR_IMMORTAL,	/* an immortal object (3.12+) */
	HR_OUTSIDE,	/* held from outside the graph (C code, statics) */
	HR_GC_GARBAGE,	/* the collector's gc.garbage list */
};

struct heap_root {
	uint32_t obj;
	uint32_t kind;	/* enum heap_root_kind */
	uint32_t label; /* string: "thread 1234 frame main (app.py:10)" */
	uint32_t name;	/* edge name (HEAP_EDGE) from the root, or 0 */
};

struct heap_big {
	uint32_t obj;
	uint32_t pad;
	uint64_t size;
};

struct heap_frame {
	uint32_t function;   /* string: qualname */
	uint32_t file;	     /* string */
	int32_t line;	     /* -1 unknown */
	uint32_t root_label; /* string: label its locals carry in roots[] */
};

struct heap_thread {
	uint64_t thread_id;
	int32_t tid;
	uint32_t name;	      /* string: threading name or "" */
	uint32_t flags;	      /* 1 main, 2 holds the GIL */
	uint32_t first_frame; /* index into frames[] (innermost first) */
	uint32_t nframes;
	uint32_t pad;
};

/* A thread blocked on a lock, as stacks found it (struct lock_wait of
 * python/stacks.h). */
struct heap_wait {
	uint64_t lock;	  /* the _thread.lock or _thread.RLock */
	uint64_t count;	  /* RLock: times its owner took it */
	uint64_t owner;	  /* RLock: its owner's ident, 0 none */
	uint32_t thread;  /* threads[] index of the waiting thread */
	uint32_t holder;  /* threads[] index of its holder, HEAP_NONE unknown */
	uint32_t flags;	  /* 1: an RLock */
	uint32_t frame;	  /* the waiting frame, among the thread's frames */
	uint32_t via;	  /* string: the library call waiting, or "" */
	uint32_t held_at; /* string: the holder's frame keeping it, or "" */
	uint32_t how;	  /* string: how the holder is known, or why not */
	uint32_t pad;
};

/* What the capture was: everything a reader needs besides the graph. */
struct heap_meta {
	int64_t pid;
	int64_t capture_time;  /* seconds since the epoch */
	uint64_t pause_ns;     /* how long the target was frozen */
	uint64_t walk_ns;      /* walk time */
	uint64_t copied_bytes; /* memory copied while frozen */
	uint32_t py_major, py_minor, py_micro;
	uint32_t mode;	   /* enum heap_capture_mode */
	uint32_t warnings; /* inconsistencies met during the walk */
	uint32_t cmdline;  /* string */
	uint32_t exe;	   /* string */
	uint32_t version;  /* string "3.11.7" */
	uint32_t warning;  /* string: the first warning, or "" */
	uint32_t copy_us;  /* of the pause, microseconds spent copying */
};

enum heap_capture_mode {
	HC_COPY = 0,   /* frozen, copied, walked after resuming */
	HC_FROZEN = 1, /* walked while frozen (over the copy budget) */
	HC_LIVE = 2,   /* --no-stop: copied (or, past the budget, read)
			* while it ran; may be inconsistent */
	HC_CORE = 3,   /* read from a core file */
};

/* A growable array, for building: malloc'ed while small, its own
 * mapping once big (mapped set), grown by mremap without a copy, its
 * next pages populated on the other core just ahead of its end. */
struct heap_vec {
	void *v;
	size_t n, cap, elem;
	int mapped;
	size_t ahead; /* mapped: bytes from the start queued to be populated */
	size_t mark;  /* up to this many elements, no growing nor queueing */
};

struct heap {
	size_t nobj, nedge, ntype, nname, nroot, nbig, nthread, nframe, nwait;
	size_t strings_len;
	struct heap_obj *obj;
	uint8_t *flags;
	uint32_t *edge_start, *edge_dst, *edge_name;
	uint32_t *rev_start, *rev_src, *rev_edge; /* rev_edge: index of the edge */
	struct heap_type *types;
	uint32_t *names;
	struct heap_root *roots;
	struct heap_big *big;
	struct heap_thread *threads;
	struct heap_frame *frames;
	struct heap_wait *waits;
	/* the process's memory breakdown (python/memory.h's struct
	 * mem_breakdown, as bytes the heap does not read), or NULL */
	const void *mem;
	size_t mem_len;
	const char *strings;
	struct heap_meta meta;

	/* building (heap_add_*), unused once loaded */
	struct heap_vec vobj, vflags, vstart, vdst, vname, vtype, vnames, vroot, vbig, vthread,
		vframe, vwait, vstr;
	uint32_t *addr_slots; /* address -> object index + 1 */
	size_t addr_mask;
	uint32_t *str_slots; /* interned strings: offset + 1 */
	size_t str_mask, nstr_interned;
	uint32_t *name_slots; /* edge names: names[] index + 1 */
	size_t name_mask;
	void *mem_owned;       /* h->mem when built, freed with the heap */
	uint64_t buffer_bytes; /* building: what objects' sizes count
				* outside the objects (their buffers) */
	uint64_t build_limit;  /* building: bytes the arrays may take, 0 no
				* limit; past it, heap_add_* fail with
				* over_limit set (--max-memory) */
	uint64_t build_bytes;
	int over_limit;
	void *mapping; /* a loaded snapshot: the mmap'ed file */
	size_t mapping_len;
	uint64_t *type_objs; /* object << 32 | type, sorted (heap_type_of_obj) */
	size_t ntype_objs;
	/* HEAP_NEED_DOMINATORS: see the invariants at the top */
	uint32_t *idom;
	uint64_t *retained;
	uint8_t *reach;
};

/* Start an empty graph. */
void heap_init(struct heap *h);
/* Free everything (built or loaded).  The struct can be reused after
 * heap_init. */
void heap_release(struct heap *h);

/* ---- building ---- */
/* The index of the object at addr, or HEAP_NONE: through the index
 * (heap_prepare with HEAP_NEED_INDEX) for many lookups, else by a scan
 * of every object (for one). */
uint32_t heap_lookup(const struct heap *h, uint64_t addr);
/* Start fetching what heap_lookup(h, addr) reads, for a caller that
 * knows the addresses it will look up: stage 0 the index's slot, stage 1
 * (a few lookups later, the slot in cache) the object it holds. */
void heap_lookup_ahead(const struct heap *h, uint64_t addr, int stage);
/* Add an object (the caller knows its address is new: nothing here
 * indexes it); returns its index, or HEAP_NONE when out of memory or over
 * HEAP_MAX_OBJECTS (err set). */
/* Count bytes the builder takes besides h's arrays (a walk's tables)
 * against h->build_limit: 0, or -1 with h->over_limit set past it. */
int heap_build_reserve(struct heap *h, uint64_t bytes);
/* Give back bytes reserved that are freed (thread-safe, as the reserve). */
void heap_build_unreserve(struct heap *h, uint64_t bytes);
uint32_t heap_add_obj(struct heap *h, uint64_t addr, uint32_t type, uint64_t size, int64_t refcnt,
		      unsigned flags, struct hs_error *err);
/* Set the size of object i; objects must be sized in index order. */
int heap_set_size(struct heap *h, uint32_t i, uint64_t size, struct hs_error *err);
/* Begin the edges of object i: objects' edges are added in index order. */
int heap_begin_edges(struct heap *h, uint32_t i, struct hs_error *err);
int heap_add_edge(struct heap *h, uint32_t dst, uint32_t name, struct hs_error *err);
/* Intern a byte string: its offset in the blob, or HEAP_NONE on OOM. */
uint32_t heap_intern(struct heap *h, const char *s, size_t len);
/* Add a string without interning (values). */
uint32_t heap_add_string(struct heap *h, const char *s, size_t len);
/* An edge name: index into names[] for text, interned. HEAP_NONE on OOM. */
uint32_t heap_name(struct heap *h, const char *s, size_t len);
uint32_t heap_add_type(struct heap *h, uint64_t addr, uint32_t name);
int heap_add_root(struct heap *h, uint32_t obj, enum heap_root_kind kind, uint32_t label,
		  uint32_t name, struct hs_error *err);
int heap_add_thread(struct heap *h, const struct heap_thread *t, struct hs_error *err);
int heap_add_frame(struct heap *h, const struct heap_frame *f, struct hs_error *err);
int heap_add_wait(struct heap *h, const struct heap_wait *wt, struct hs_error *err);
/* Close the edge lists and expose the arrays. */
int heap_finish(struct heap *h, struct hs_error *err);

/* What only some readers need is built on demand (it costs time and
 * memory in proportion to the graph): */
enum heap_need {
	HEAP_NEED_REVERSE = 1 << 0,    /* rev_start, rev_src, rev_edge */
	HEAP_NEED_INDEX = 1 << 1,      /* heap_lookup */
	HEAP_NEED_DOMINATORS = 1 << 2, /* idom, retained, reach (dominator.h) */
};
/* Build what need asks for and is not there yet, each counted first
 * against h->build_limit when there is one (--max-memory; the
 * dominators' arrays as they are at their largest).  0, or -1 with err:
 * HS_ENOMEM, saying what would have passed the limit. */
int heap_prepare(struct heap *h, unsigned need, struct hs_error *err);
/* Free what HEAP_NEED_DOMINATORS built, its memory counted out of
 * h->build_limit again: for a reader done with it. */
void heap_forget_dominators(struct heap *h);
/* The pieces (heap_finish and snapshot_load build the types' one). */
int heap_build_reverse(struct heap *h, struct hs_error *err);
int heap_build_types(struct heap *h, struct hs_error *err);

/* Build the address index of a loaded graph (heap_lookup). */
int heap_build_index(struct heap *h, struct hs_error *err);

/* ---- reading ---- */
/* The string at offset off (its length in *len), or "" for HEAP_NONE or
 * an offset outside the blob. */
const char *heap_str(const struct heap *h, uint32_t off, size_t *len);
uint64_t heap_size(const struct heap *h, uint32_t i);
/* The bytes of every object of h (heap_size summed): the whole of which
 * shares of "the heap" are given.  A pass over the objects: callers that
 * need it often keep it. */
uint64_t heap_total_size(const struct heap *h);
/* 1 if object i is reachable from a root over non-weak edges; needs
 * HEAP_NEED_DOMINATORS (0 for every object before). */
static inline int heap_reachable(const struct heap *h, uint32_t i)
{
	return h->reach && i < h->nobj && (h->reach[i >> 3] >> (i & 7)) & 1;
}
const char *heap_type_name(const struct heap *h, uint32_t i);
/* The types[] index of which object i is the type object, or HEAP_NONE. */
uint32_t heap_type_of_obj(const struct heap *h, uint32_t i);
/* An edge name as text: ".x", "[3]", "['key']", "__dict__"; a scanned
 * edge, which has no name, "(scanned)". */
void heap_edge_text(const struct heap *h, uint32_t name, char *buf, size_t len);
/* The object the edge named field (a C field: "f_back", "_coro") of i
 * leads to, or HEAP_NONE. */
uint32_t heap_field(const struct heap *h, uint32_t i, const char *field);
/* Attribute name of object i: an attribute edge (3.11+ inline values),
 * or the value of key 'name' in its __dict__; or HEAP_NONE. */
uint32_t heap_attr(const struct heap *h, uint32_t i, const char *name);
/* The items of container i: a dict's values, a list's, tuple's or
 * deque's [n], a set's items (0 for an object that holds none). */
size_t heap_items(const struct heap *h, uint32_t i);
/* A one-line summary of object i: its value or a short repr; a class
 * instance's first attributes ("<app.Session id=42 user='bob' ...>"). */
void heap_summary(const struct heap *h, uint32_t i, char *buf, size_t len);
/* An edge's kind as a word: "strong", "weak" or "scanned". */
const char *heap_edge_kind_name(uint32_t name);
/* bytes as people read them, in at most 10 characters: "512 B",
 * "12.3 KiB", "1.5 GiB".  The one way heapscope writes a size for
 * people, in binary units (JSON gives bytes). */
void heap_size_text(uint64_t bytes, char *buf, size_t len);
/* 1234567 as "1,234,567": the one way heapscope writes a count for
 * people (JSON gives the number). */
void heap_count_text(uint64_t n, char *buf, size_t len);
/* A change of size, signed as heap_size_text writes sizes: "+1.5 MiB",
 * "-512 B", "0 B". */
void heap_size_change_text(int64_t bytes, char *buf, size_t len);
/* The name of a root kind: "sys.modules", "frame", ... */
const char *heap_root_kind_name(unsigned kind);
/* The name of a capture mode, as JSON and exports give it: "copy",
 * "frozen", "live", "core"; "?" for another number. */
const char *heap_mode_name(unsigned mode);

#endif
