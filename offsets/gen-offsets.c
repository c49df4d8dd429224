/*
 * gen-offsets - write the built-in layout table of one CPython minor
 * version from the DWARF of a reference build.
 *
 *   gen-offsets FILE MAJOR MINOR REFERENCE > offsets/py3X.c
 *
 * FILE is a libpython, an executable or a separate debug file carrying
 * DWARF.  Run through "make offsets" (offsets/regen.sh), never by hand-
 * editing the tables.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "layout/layout_dwarf.h"
#include "layout/layout.h"

int main(int argc, char **argv)
{
	struct hs_error err = HS_ERROR_INIT;
	int64_t v[LF_COUNT];
	int major, minor, i;
	const char *ref;

	if (argc != 5) {
		fputs("usage: gen-offsets FILE MAJOR MINOR REFERENCE\n", stderr);
		return 2;
	}
	major = atoi(argv[2]);
	minor = atoi(argv[3]);
	ref = argv[4];
	if (layout_dwarf_fill(argv[1], v, &err) < 0) {
		fprintf(stderr, "gen-offsets: %s\n", err.msg);
		return 1;
	}
	printf("/*\n * Layout of CPython %d.%d, generated from the DWARF of\n"
	       " * %s\n * by offsets/gen-offsets (make offsets).  Do not edit.\n */\n",
	       major, minor, ref);
	printf("#include \"layout/layout.h\"\n\n");
	printf("const struct layout_table layout_table_py%d%d = {\n", major, minor);
	printf("\t.major = %d,\n\t.minor = %d,\n\t.reference = \"%s\",\n\t.v = {\n",
	       major, minor, ref);
	for (i = 0; i < LF_COUNT; i++)
		printf("\t\t[LF_%s] = %lld,\n", layout_field_info[i].name, (long long)v[i]);
	printf("\t},\n};\n");
	return 0;
}
