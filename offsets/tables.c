/* The built-in layout tables, one per supported minor version. */
#include "layout/layout.h"

extern const struct layout_table layout_table_py38, layout_table_py39,
	layout_table_py310, layout_table_py311, layout_table_py312,
	layout_table_py313;

const struct layout_table *const layout_tables[] = {
	&layout_table_py38, &layout_table_py39, &layout_table_py310,
	&layout_table_py311, &layout_table_py312, &layout_table_py313,
	NULL,
};
