/*
 * layout_dwarf.c - resolve layout fields from DWARF (libdwarf).
 *
 * One pass over the top-level DIEs of every compilation unit indexes the
 * structure, union and typedef names layout_fields.h asks for, keeping
 * for each name the first definition that is complete (has a byte size).
 * The pass stops as soon as every field has one of its struct names.
 * Members are then looked up through nested and anonymous structs.
 * Everything in the file is untrusted: recursion and loops are bounded.
 * libdwarf itself can loop for ever on a damaged file (Debian 12's
 * 20210528, in dwarf_siblingof_b: found by fuzz-elf), which no bound of
 * ours can stop: the reading runs in a child process, which sends the
 * offsets back through a pipe and is killed past its deadline; a crash
 * in it is an error, not ours.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <libdwarf.h>
#include <dwarf.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "layout_dwarf.h"
#include "base/openfile.h"

#define MAX_NAMES 256
#define MAX_DEPTH 8		/* typedef chains, nested anonymous members */
#define MAX_MEMBERS 4096	/* members scanned in one struct */
#define MAX_STEPS 4000000	/* members scanned in all (a real libpython: ~100k) */
#define MAX_OFFSET (1 << 24)	/* no CPython structure is this big */
#define DWARF_DEADLINE_MS 30000 /* a real libpython's: well under 1 s */

struct wanted {
	const char *name;
	size_t len;
	Dwarf_Off off; /* complete struct/union DIE, 0 if not found */
};

struct resolver {
	Dwarf_Debug dbg;
	const struct field_set *set;
	long steps; /* members left to look at (a crafted file's
		     * anonymous members can nest its own type) */
	struct wanted names[MAX_NAMES];
	int nnames;
};

static void free_die(Dwarf_Die d)
{
	if (d)
		dwarf_dealloc_die(d);
}

/* Offset of the DIE an attribute (DW_AT_type) refers to. */
static int type_ref(struct resolver *r, Dwarf_Die die, Dwarf_Off *off)
{
	Dwarf_Attribute a;
	Dwarf_Error e = NULL;
	int ret;

	if (dwarf_attr(die, DW_AT_type, &a, &e) != DW_DLV_OK)
		return -1;
	ret = dwarf_global_formref(a, off, &e) == DW_DLV_OK ? 0 : -1;
	dwarf_dealloc_attribute(a);
	return ret;
}

/* Follow typedef/const/volatile from off to a struct or union with a byte
 * size; returns its DIE (caller frees) or NULL. */
static Dwarf_Die complete_type(struct resolver *r, Dwarf_Off off)
{
	Dwarf_Die die = NULL;
	Dwarf_Error e = NULL;
	Dwarf_Half tag;
	Dwarf_Unsigned size;
	Dwarf_Bool decl;
	int depth;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		if (dwarf_offdie_b(r->dbg, off, 1, &die, &e) != DW_DLV_OK)
			return NULL;
		if (dwarf_tag(die, &tag, &e) != DW_DLV_OK)
			break;
		if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
			if (dwarf_hasattr(die, DW_AT_declaration, &decl, &e) == DW_DLV_OK && decl)
				break;
			if (dwarf_bytesize(die, &size, &e) != DW_DLV_OK)
				break;
			return die;
		}
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type)
			break;
		if (type_ref(r, die, &off))
			break;
		free_die(die);
		die = NULL;
	}
	free_die(die);
	return NULL;
}

/* DW_AT_data_member_location: a constant, or DW_OP_plus_uconst n. */
static int member_offset(Dwarf_Die m, int64_t *out)
{
	Dwarf_Attribute a;
	Dwarf_Error e = NULL;
	Dwarf_Half form;
	Dwarf_Unsigned u, len;
	Dwarf_Ptr expr;
	Dwarf_Block *blk;
	const unsigned char *p = NULL;
	int ret = -1, shift = 0;
	size_t i, n = 0;

	if (dwarf_attr(m, DW_AT_data_member_location, &a, &e) != DW_DLV_OK) {
		/* union members have no location: offset 0 */
		*out = 0;
		return 0;
	}
	if (dwarf_whatform(a, &form, &e) != DW_DLV_OK)
		goto out;
	if (form == DW_FORM_exprloc) {
		if (dwarf_formexprloc(a, &len, &expr, &e) != DW_DLV_OK)
			goto out;
		p = expr;
		n = len;
	} else if (form == DW_FORM_block1 || form == DW_FORM_block2 || form == DW_FORM_block4 ||
		   form == DW_FORM_block) {
		if (dwarf_formblock(a, &blk, &e) != DW_DLV_OK)
			goto out;
		p = blk->bl_data;
		n = blk->bl_len;
	} else {
		if (dwarf_formudata(a, &u, &e) == DW_DLV_OK && u <= MAX_OFFSET) {
			*out = (int64_t)u;
			ret = 0;
		}
		goto out;
	}
	if (n < 2 || p[0] != DW_OP_plus_uconst)
		goto out;
	for (u = 0, i = 1; i < n && i < 11; i++) {
		u |= (Dwarf_Unsigned)(p[i] & 0x7f) << shift;
		shift += 7;
		if (!(p[i] & 0x80)) {
			if (u <= MAX_OFFSET) {
				*out = (int64_t)u;
				ret = 0;
			}
			break;
		}
	}
out:
	dwarf_dealloc_attribute(a);
	return ret;
}

/*
 * Find member name (len bytes) in struct st; on success *off is its offset
 * from the start of st and *mdie its DIE (caller frees).  Anonymous
 * struct/union members are searched through.
 */
static int find_member(struct resolver *r, Dwarf_Die st, const char *name, size_t len, int depth,
		       int64_t *off, Dwarf_Die *mdie)
{
	Dwarf_Die child = NULL, next;
	Dwarf_Error e = NULL;
	int count = 0, found = -1;

	if (depth > MAX_DEPTH || dwarf_child(st, &child, &e) != DW_DLV_OK)
		return -1;
	while (child && count++ < MAX_MEMBERS && r->steps-- > 0) {
		Dwarf_Half tag;
		char *n = NULL;
		int64_t moff;

		if (dwarf_tag(child, &tag, &e) == DW_DLV_OK && tag == DW_TAG_member &&
		    !member_offset(child, &moff)) {
			int named = dwarf_diename(child, &n, &e) == DW_DLV_OK;

			if (named && strlen(n) == len && !memcmp(n, name, len)) {
				*off = moff;
				*mdie = child;
				return 0;
			}
			if (!named) {
				Dwarf_Off toff;
				Dwarf_Die anon;
				int64_t inner;

				if (!type_ref(r, child, &toff) &&
				    (anon = complete_type(r, toff)) != NULL) {
					found = find_member(r, anon, name, len, depth + 1, &inner,
							    mdie);
					free_die(anon);
					if (!found) {
						*off = moff + inner;
						free_die(child);
						return 0;
					}
				}
			}
		}
		if (dwarf_siblingof_b(r->dbg, child, 1, &next, &e) != DW_DLV_OK)
			next = NULL;
		free_die(child);
		child = next;
	}
	free_die(child);
	return -1;
}

/* Resolve a dotted member path or "#size" in the struct at off. */
static int resolve_path(struct resolver *r, Dwarf_Off off, const char *path, size_t plen,
			int64_t *out)
{
	Dwarf_Die st = complete_type(r, off), m = NULL;
	Dwarf_Error e = NULL;
	Dwarf_Unsigned size;
	int64_t total = 0, moff;
	const char *p = path, *end = path + plen;
	int depth = 0, ret = -1;

	if (!st)
		return -1;
	if (plen == 5 && !memcmp(path, "#size", 5)) {
		if (dwarf_bytesize(st, &size, &e) == DW_DLV_OK && size <= MAX_OFFSET) {
			*out = (int64_t)size;
			ret = 0;
		}
		free_die(st);
		return ret;
	}
	while (p < end && depth++ < MAX_DEPTH) {
		const char *dot = memchr(p, '.', end - p);
		size_t len = dot ? (size_t)(dot - p) : (size_t)(end - p);
		Dwarf_Off toff;

		if (find_member(r, st, p, len, 0, &moff, &m))
			break;
		total += moff;
		free_die(st);
		st = NULL;
		if (!dot) {
			*out = total;
			ret = 0;
			break;
		}
		if (type_ref(r, m, &toff) || !(st = complete_type(r, toff)))
			break;
		free_die(m);
		m = NULL;
		p = dot + 1;
	}
	free_die(m);
	free_die(st);
	return ret;
}

/* Step through "a|b|c": returns the length of the alternative at *p and
 * leaves *p at the next one; 0 at the end. */
static size_t next_alt(const char **p, const char **alt)
{
	size_t len;

	if (!**p)
		return 0;
	*alt = *p;
	len = strcspn(*p, "|");
	*p += len;
	if (**p == '|')
		(*p)++;
	return len;
}

static int want_index(struct resolver *r, const char *name, size_t len)
{
	int i;

	for (i = 0; i < r->nnames; i++)
		if (r->names[i].len == len && !memcmp(r->names[i].name, name, len))
			return i;
	return -1;
}

static void add_wanted(struct resolver *r, const char *alts)
{
	const char *p = alts, *a;
	size_t len;

	while ((len = next_alt(&p, &a)) > 0) {
		if (want_index(r, a, len) < 0 && r->nnames < MAX_NAMES) {
			r->names[r->nnames].name = a;
			r->names[r->nnames].len = len;
			r->names[r->nnames].off = 0;
			r->nnames++;
		}
	}
}

/* Every field has at least one of its struct names found. */
static int all_found(struct resolver *r)
{
	int f;

	for (f = 0; f < r->set->n; f++) {
		const char *p = r->set->fields[f].structs, *a;
		size_t len;
		int any = 0, i;

		while (!any && (len = next_alt(&p, &a)) > 0) {
			i = want_index(r, a, len);
			any = i >= 0 && r->names[i].off;
		}
		if (!any)
			return 0;
	}
	return 1;
}

static void index_die(struct resolver *r, Dwarf_Die die)
{
	Dwarf_Error e = NULL;
	Dwarf_Half tag;
	Dwarf_Off off;
	Dwarf_Die st;
	char *name;
	int i;

	if (dwarf_tag(die, &tag, &e) != DW_DLV_OK ||
	    (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_typedef))
		return;
	if (dwarf_diename(die, &name, &e) != DW_DLV_OK)
		return;
	i = want_index(r, name, strlen(name));
	if (i < 0 || r->names[i].off)
		return;
	if (dwarf_dieoffset(die, &off, &e) != DW_DLV_OK)
		return;
	/* keep only a name that leads to a complete definition */
	st = complete_type(r, off);
	if (!st)
		return;
	free_die(st);
	r->names[i].off = off;
}

static void scan(struct resolver *r)
{
	Dwarf_Unsigned hlen, typeoff, next_cu;
	Dwarf_Half ver, asz, lsz, esz, cutype;
	Dwarf_Off abbr;
	Dwarf_Sig8 sig;
	Dwarf_Error e = NULL;
	int cus = 0;

	while (dwarf_next_cu_header_d(r->dbg, 1, &hlen, &ver, &abbr, &asz, &lsz, &esz, &sig,
				      &typeoff, &next_cu, &cutype, &e) == DW_DLV_OK) {
		Dwarf_Die cu = NULL, child = NULL, next;

		cus++;
		if (dwarf_siblingof_b(r->dbg, NULL, 1, &cu, &e) != DW_DLV_OK)
			continue;
		if (dwarf_child(cu, &child, &e) == DW_DLV_OK) {
			Dwarf_Off at = 0, nat;

			/* siblings follow each other in the section: one that
			 * does not lies (a damaged file would loop for ever) */
			while (child && !dwarf_dieoffset(child, &nat, &e) && nat > at) {
				at = nat;
				index_die(r, child);
				if (dwarf_siblingof_b(r->dbg, child, 1, &next, &e) != DW_DLV_OK)
					next = NULL;
				free_die(child);
				child = next;
			}
			free_die(child);
		}
		free_die(cu);
		if (all_found(r)) {
			/* libdwarf wants the CU iteration finished or reset;
			 * we are done with this handle anyway */
			break;
		}
	}
}

/* The reading itself, in this process. */
int dwarf_fields_fill_unguarded(const char *path, const struct field_set *set, int64_t *v,
				struct hs_error *err)
{
	struct resolver *r;
	Dwarf_Error e = NULL;
	int fd, f, n = 0, res;

	for (f = 0; f < set->n; f++)
		v[f] = -1;
	if (set->n > LF_COUNT)
		return hs_error_set(err, HS_EINTERNAL, "too many fields to read from DWARF");
	fd = open_regular(path);
	if (fd == OPEN_NOT_REGULAR)
		return hs_error_set(err, HS_ELAYOUT, "%s is not a regular file", path);
	if (fd < 0)
		return hs_error_errno(err, HS_ELAYOUT, errno, "cannot open %s", path);
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	}
	res = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &r->dbg, &e);
	if (res != DW_DLV_OK) {
		/* without a Dwarf_Debug, libdwarf's error is ours to free */
		if (res == DW_DLV_ERROR)
			dwarf_dealloc(NULL, e, DW_DLA_ERROR);
		free(r);
		close(fd);
		return hs_error_set(err, HS_ELAYOUT, "no readable DWARF in %s", path);
	}
	r->steps = MAX_STEPS;
	r->set = set;
	for (f = 0; f < set->n; f++)
		add_wanted(r, set->fields[f].structs);
	scan(r);

	for (f = 0; f < set->n; f++) {
		const char *sp = set->fields[f].structs, *s, *mp, *m;
		size_t slen, mlen;
		int done = 0, i;

		while ((slen = next_alt(&sp, &s)) > 0) {
			i = want_index(r, s, slen);
			if (i < 0 || !r->names[i].off)
				continue;
			mp = set->fields[f].members;
			while (!done && (mlen = next_alt(&mp, &m)) > 0)
				done = !resolve_path(r, r->names[i].off, m, mlen, &v[f]);
			/* the first struct name found decides */
			break;
		}
		n += done;
	}
	dwarf_finish(r->dbg, &e);
	free(r);
	close(fd);
	if (!n)
		return hs_error_set(err, HS_ELAYOUT, "none of the %s structures in the DWARF of %s",
				    set == &layout_fields ? "CPython" : set->kind, path);
	return n;
}

int layout_dwarf_fill_unguarded(const char *path, int64_t *v, struct hs_error *err)
{
	return dwarf_fields_fill_unguarded(path, &layout_fields, v, err);
}

/* ---- the reading, in a child process ---- */

struct fill_result {
	int ret;
	struct hs_error err;
	int64_t v[LF_COUNT];
};

/* What the child sends: all of it, or nothing. */
static void child(const char *path, const struct field_set *set, int fd)
{
	static struct fill_result res;
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
				    SIGTERM, SIGINT, SIGHUP, SIGPIPE };
	const char *p = (const char *)&res;
	size_t i, done = 0;
	ssize_t n;

	/* the parent's fatal handlers and cleanups are not ours to run */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	res.err = (struct hs_error)HS_ERROR_INIT;
	res.ret = dwarf_fields_fill_unguarded(path, set, res.v, &res.err);
	while (done < sizeof(res) && (n = write(fd, p + done, sizeof(res) - done)) > 0)
		done += (size_t)n;
	_exit(0);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int dwarf_fields_fill_within(const char *path, const struct field_set *set, int64_t *v,
			     int timeout_ms, struct hs_error *err)
{
	struct fill_result *res = malloc(sizeof(*res));
	int64_t deadline = now_ms() + timeout_ms;
	size_t got = 0;
	int fds[2], status, late = 0;
	pid_t pid;
	ssize_t n;
	int f;

	for (f = 0; f < set->n && f < LF_COUNT; f++)
		v[f] = -1;

	if (!res)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	if (pipe2(fds, O_CLOEXEC)) {
		free(res);
		return hs_error_errno(err, HS_ELAYOUT, errno, "cannot read the DWARF of %s", path);
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(res);
		return hs_error_errno(err, HS_ELAYOUT, errno, "cannot read the DWARF of %s", path);
	}
	if (!pid) {
		close(fds[0]);
		child(path, set, fds[1]);
	}
	close(fds[1]);
	while (got < sizeof(*res)) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0) {
			late = 1;
			break;
		}
		r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(fds[0], (char *)res + got, sizeof(*res) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (got < sizeof(*res))
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < sizeof(*res)) {
		free(res);
		if (late)
			return hs_error_set(
				err, HS_ELAYOUT,
				"reading the DWARF of %s took over %d s: a damaged file?", path,
				timeout_ms / 1000);
		return hs_error_set(err, HS_ELAYOUT, "the DWARF reader failed on %s%s", path,
				    WIFSIGNALED(status) ? " (it crashed): a damaged file?" : "");
	}
	memcpy(v, res->v, (size_t)(set->n < LF_COUNT ? set->n : LF_COUNT) * sizeof(v[0]));
	if (res->ret < 0)
		*err = res->err;
	n = res->ret;
	free(res);
	return (int)n;
}

int layout_dwarf_fill_within(const char *path, int64_t *v, int timeout_ms, struct hs_error *err)
{
	return dwarf_fields_fill_within(path, &layout_fields, v, timeout_ms, err);
}

int layout_dwarf_fill(const char *path, int64_t *v, struct hs_error *err)
{
	return layout_dwarf_fill_within(path, v, DWARF_DEADLINE_MS, err);
}
