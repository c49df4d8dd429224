/*
 * gen-offsets - write the built-in layout table of one CPython minor
 * version from the DWARF of a reference build.
 *
 *   gen-offsets FILE MAJOR MINOR REFERENCE [t] > offsets/py3X[t].c
 *
 * FILE is a libpython, an executable or a separate debug file carrying
 * DWARF; t says it is a free-threaded build's.  Run through "make offsets" (offsets/regen.sh),
 * never by hand- editing the tables.
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
	int64_t v[LF_COUNT];
	int major, minor, i, ft;
	const char *ref;

	if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "t"))) {
		fputs("usage: gen-offsets FILE MAJOR MINOR REFERENCE [t]\n", stderr);
		return 2;
	}
	ft = argc == 6;
	major = atoi(argv[2]);
	minor = atoi(argv[3]);
	ref = argv[4];
	if (layout_dwarf_fill(argv[1], v, &err) < 0) {
		fprintf(stderr, "gen-offsets: %s\n", err.msg);
		return 1;
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
