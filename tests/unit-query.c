/*
 * unit-query - which types a user's type name means (query_types_named)
 * and the names offered when none does (query_types_near), on a type
 * table built in memory.
 *
 * The exact full name wins; then every type whose name ends in NAME at
 * a dot ("User" is app.models.User and other.User, not x.user); then the
 * same ignoring case.  Near names: within a third of NAME's length in
 * edit distance (transpositions count one), nearest first, then by name,
 * one per name, at most as many as asked.
 */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "heap/heap.h"
#include "analysis/query.h"
#include "tap.h"

static const char *const names[] = {
	"app.models.User", "other.User", "x.user", "dict", "Session",
	"requests.sessions.Session", "app.web.SessionPool", "app.Dup", "app.Dup",
	"t.aa1", "t.aa2", "t.aa3", "t.aa4", "t.aa5", "t.aa6", "t.aa7",
};
#define NTYPES (sizeof(names) / sizeof(names[0]))

static struct heap h;

/* The names of the types query_types_named gives for name, comma
 * separated, in table order. */
static const char *named(const char *name)
{
	static char out[512];
	uint8_t match[NTYPES];
	size_t t, n;

	out[0] = '\0';
	n = query_types_named(&h, name, match);
	for (t = 0; t < NTYPES; t++)
		if (match[t]) {
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
				 out[0] ? "," : "", names[t]);
			n--;
		}
	return n ? "(the count returned differs)" : out;
}

static const char *near(const char *name, size_t max)
{
	static char out[512];
	uint32_t idx[16];
	size_t n = query_types_near(&h, name, idx, max), k;

	out[0] = '\0';
	for (k = 0; k < n; k++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", k ? "," : "",
			 heap_str(&h, h.types[idx[k]].name, NULL));
	return out;
}

static void is(const char *got, const char *want, const char *what)
{
	if (!tap_ok(!strcmp(got, want), "%s", what))
		tap_diag("got '%s', want '%s'", got, want);
}

int main(void)
{
	struct hs_error err = HS_ERROR_INIT;
	size_t i;

	heap_init(&h);
	for (i = 0; i < NTYPES; i++)
		heap_add_type(&h, 0x1000 + 0x100 * i, heap_intern(&h, names[i], strlen(names[i])));
	if (!tap_ok(!heap_finish(&h, &err), "a type table of %zu types", NTYPES))
		return tap_done();

	is(named("app.models.User"), "app.models.User", "the full name: that type alone");
	is(named("User"), "app.models.User,other.User",
	   "a last part: every type of that name, not one differing in case");
	is(named("user"), "x.user", "the exact last part first, before ignoring case");
	is(named("models.User"), "app.models.User", "dotted last parts");
	is(named("odels.User"), "", "an end that is not at a dot is no name");
	is(named("Session"), "Session", "the full name before the ends of others");
	is(named("session"), "Session,requests.sessions.Session",
	   "ignoring case: the full names and the ends");
	is(named("SESSIONS.SESSION"), "requests.sessions.Session", "dotted ends ignoring case");
	is(named(""), "", "an empty name is none");

	is(near("Sesion", 5), "Session,requests.sessions.Session",
	   "near Sesion: the two Sessions, nearest then by name");
	is(near("odels.User", 5), "app.models.User", "near a cut dotted end");
	is(near("dikt", 5), "dict", "near dikt: dict (one substitution)");
	is(near("dcit", 5), "dict", "a transposition is one edit");
	is(near("app.Dupe", 5), "app.Dup", "one name once, though two types have it");
	is(near("zzzzzz", 5), "", "nothing near");
	is(near("aa", 3), "t.aa1,t.aa2,t.aa3", "at most max, by name among equals");
	heap_release(&h);
	return tap_done();
}
