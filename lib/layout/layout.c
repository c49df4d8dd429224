#include "config.h"
#include <stdio.h>
#include <string.h>
#include "layout.h"

const struct layout_field_info layout_field_info[LF_COUNT] = {
#define LF_INFO(g, n, s, m) [LF_##n] = { LG_##g, #n, s, m },
	LAYOUT_FIELDS(LF_INFO)
#undef LF_INFO
};

const struct field_set layout_fields = { "layout", layout_field_info, LF_COUNT };

const char *const layout_group_names[LG_COUNT] = {
#define LG_NAME(g, name) [LG_##g] = name,
	LAYOUT_GROUPS(LG_NAME)
#undef LG_NAME
};

const char *const layout_source_names[LS_COUNT] = {
#define LS_NAME(e, n) [e] = n,
	LAYOUT_SOURCES(LS_NAME)
#undef LS_NAME
};

void layout_init(struct layout *l, int major, int minor)
{
	int i;

	for (i = 0; i < LF_COUNT; i++) {
		l->v[i] = -1;
		l->src[i] = LS_NONE;
	}
	l->major = major;
	l->minor = minor;
}

const struct layout_table *layout_table_find(int major, int minor, int free_threaded)
{
	const struct layout_table *const *t;

	for (t = layout_tables; *t; t++)
		if ((*t)->major == major && (*t)->minor == minor &&
		    !(*t)->free_threaded == !free_threaded)
			return *t;
	return NULL;
}

int layout_table_values(const struct layout_table *tab, int micro, int64_t *v)
{
	const struct layout_patch *pt;
	int n = 0;

	memcpy(v, tab->v, sizeof(tab->v));
	for (pt = layout_patches; micro >= 0 && pt->major; pt++)
		if (pt->major == tab->major && pt->minor == tab->minor &&
		    !pt->free_threaded == !tab->free_threaded && micro >= pt->micro_lo &&
		    micro <= pt->micro_hi) {
			v[pt->field] = pt->value;
			n++;
		}
	return n;
}

int layout_overlay(struct layout *l, const int64_t *v, enum layout_source src)
{
	int i, n = 0;

	for (i = 0; i < LF_COUNT; i++) {
		if (v[i] < 0)
			continue;
		l->v[i] = v[i];
		l->src[i] = src;
		n++;
	}
	return n;
}

int layout_field_by_name(const char *name)
{
	int i;

	for (i = 0; i < LF_COUNT; i++)
		if (!strcmp(layout_field_info[i].name, name))
			return i;
	return -1;
}

int layout_source_by_name(const char *name)
{
	int i;

	if (!strcmp(name, "auto"))
		return LS_NONE;
	for (i = 1; i < LS_COUNT; i++)
		if (!strcmp(layout_source_names[i], name))
			return i;
	return -1;
}

void layout_group_sources(const struct layout *l, enum layout_group g, char *buf, size_t len)
{
	int seen[LS_COUNT] = { 0 };
	int i, s, first = 1;
	size_t n = 0;

	for (i = 0; i < LF_COUNT; i++)
		if (layout_field_info[i].group == g)
			seen[l->src[i]]++;
	buf[0] = '\0';
	/* most trusted first */
	for (s = LS_COUNT - 1; s > LS_NONE && n < len; s--) {
		if (!seen[s])
			continue;
		n += snprintf(buf + n, len - n, "%s%s", first ? "" : "+", layout_source_names[s]);
		first = 0;
	}
	if (first)
		snprintf(buf, len, "none");
}
