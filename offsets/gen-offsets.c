/*
 * gen-offsets - write the built-in layout table of one CPython minor
 * version from the DWARF of a reference build.
 *
 *   gen-offsets [-m MODULE]... FILE MAJOR MINOR REFERENCE [t] > offsets/py3X[t].c
 *
 * FILE is a libpython, an executable or a separate debug file carrying
 * DWARF; t says it is a free-threaded build's.  Each MODULE is an
 * extension module of the same build whose structures are not in FILE
 * (_asyncio, array, _struct, ...): it gives the fields of the asyncio
 * and __sizeof__ groups only.  Run through "make offsets"
 * (offsets/regen.sh), never by hand-editing the tables.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layout/layout_dwarf.h"
#include "layout/layout.h"

int main(int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	int64_t v[LF_COUNT], mv[LF_COUNT];
	int major, minor, i, ft, a = 1;
	const char *ref;

	while (a + 1 < argc && !strcmp(argv[a], "-m"))
		a += 2;
	argc -= a - 1;
	if (argc != 5 && !(argc == 6 && !strcmp(argv[a + 4], "t"))) {
		fputs("usage: gen-offsets [-m MODULE]... FILE MAJOR MINOR REFERENCE [t]\n", stderr);
		return 2;
	}
	ft = argc == 6;
	major = atoi(argv[a + 1]);
	minor = atoi(argv[a + 2]);
	ref = argv[a + 3];
	if (layout_dwarf_fill(argv[a], v, &err) < 0) {
		fprintf(stderr, "gen-offsets: %s\n", err.msg);
		return 1;
	}
	for (i = 2; i < a; i += 2) {
		int f;

		if (layout_dwarf_fill(argv[i], mv, &err) < 0) {
			fprintf(stderr, "gen-offsets: %s\n", err.msg);
			return 1;
		}
		for (f = 0; f < LF_COUNT; f++)
			if ((layout_field_info[f].group == LG_ASYNC ||
			     layout_field_info[f].group == LG_SIZEOF) &&
			    mv[f] >= 0)
				v[f] = mv[f];
	}
	printf("/*\n * Layout of CPython %d.%d%s, generated from the DWARF of\n"
	       " * %s\n * by offsets/gen-offsets (make offsets).  Do not edit.\n */\n",
	       major, minor, ft ? " (free-threaded)" : "", ref);
	printf("#include \"layout/layout.h\"\n\n");
	printf("const struct layout_table layout_table_py%d%d%s = {\n", major, minor,
	       ft ? "t" : "");
	printf("\t.major = %d,\n\t.minor = %d,\n", major, minor);
	if (ft)
		printf("\t.free_threaded = 1,\n");
	printf("\t.reference = \"%s\",\n\t.v = {\n", ref);
	for (i = 0; i < LF_COUNT; i++)
		printf("\t\t[LF_%s] = %lld,\n", layout_field_info[i].name, (long long)v[i]);
	printf("\t},\n};\n");
	return 0;
}
