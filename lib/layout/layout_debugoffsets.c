/*
 * layout_debugoffsets.c - read _Py_DebugOffsets (layout_debugoffsets.h).
 *
 * The struct is a cookie, then uint64_t words; which word holds which
 * field depends on the minor version (3.14 inserted words after word 9,
 * so every later index moved).  Each version has its own map from word
 * index to layout field; word indexes count in 8-byte units from the
 * start of the struct, the cookie being word 0.
 */
#include "config.h"
#include <string.h>
#include "layout_debugoffsets.h"

#define DO_MAX_WORDS 95
#define DO_MAX_OFFSET (1 << 24)

struct word_field {
	int word;
	enum layout_field field;
};

struct do_map {
	uint64_t minor_hex;		       /* version >> 16: 0x030d */
	int nwords;			       /* words of the struct, cookie included */
	int gil_state, gil_locked, gil_holder; /* interpreter-relative words */
	const struct word_field *map;
	size_t n;
};

/* CPython 3.13: Include/internal/pycore_runtime.h, _Py_DebugOffsets. */
static const struct word_field map_313[] = {
	{ 3, LF_runtime_size },
	{ 4, LF_runtime_finalizing },
	{ 5, LF_runtime_interpreters_head },
	{ 6, LF_interp_size },
	{ 7, LF_interp_id },
	{ 8, LF_interp_next },
	{ 9, LF_interp_threads_head },
	{ 10, LF_interp_gc },
	{ 11, LF_interp_modules },
	{ 12, LF_interp_sysdict },
	{ 13, LF_interp_builtins },
	{ 14, LF_interp_ceval_gil },
	{ 19, LF_tstate_size },
	{ 20, LF_tstate_prev },
	{ 21, LF_tstate_next },
	{ 22, LF_tstate_interp },
	{ 23, LF_tstate_current_frame },
	{ 24, LF_tstate_thread_id },
	{ 25, LF_tstate_native_thread_id },
	{ 26, LF_tstate_datastack_chunk },
	{ 28, LF_iframe_size },
	{ 29, LF_iframe_previous },
	{ 30, LF_iframe_code },
	{ 31, LF_iframe_instr },
	{ 32, LF_iframe_localsplus },
	{ 33, LF_iframe_owner },
	{ 34, LF_code_size },
	{ 35, LF_code_filename },
	{ 36, LF_code_name },
	{ 37, LF_code_qualname },
	{ 38, LF_code_linetable },
	{ 39, LF_code_firstlineno },
	{ 40, LF_code_argcount },
	{ 41, LF_code_localsplusnames },
	{ 42, LF_code_localspluskinds },
	{ 43, LF_code_code_adaptive },
	{ 44, LF_object_size },
	{ 45, LF_object_type },
	{ 46, LF_type_size },
	{ 47, LF_type_name },
	{ 49, LF_type_flags },
	{ 50, LF_tuple_size },
	{ 51, LF_tuple_item },
	{ 52, LF_varobject_ob_size },
	{ 53, LF_list_size },
	{ 54, LF_list_item },
	{ 56, LF_dict_size },
	{ 57, LF_dict_keys },
	{ 58, LF_dict_values },
	{ 59, LF_float_size },
	{ 60, LF_float_fval },
	{ 61, LF_long_size },
	{ 62, LF_long_lv_tag },
	{ 63, LF_long_digit },
	{ 64, LF_bytes_size },
	{ 66, LF_bytes_sval },
	{ 67, LF_unicode_size },
	{ 68, LF_ascii_state },
	{ 69, LF_ascii_length },
	{ 70, LF_ascii_size },
	{ 71, LF_gcstate_size },
	{ 72, LF_gcstate_collecting },
};

/*
 * CPython 3.14: Include/internal/pycore_debug_offsets.h.  New against
 * 3.13: interpreter threads_main (10), the GIL's own words (16-19 made
 * interpreter-relative), code_object_generation and tlbc_generation
 * (20-21), thread status (30), frame stackpointer and tlbc_index (37-38),
 * code co_tlbc (49), set (62-65), gen (83-86), llist and debugger words.
 * Words 38 and 49 exist only in free-threaded builds (0 otherwise).
 */
static const struct word_field map_314[] = {
	{ 3, LF_runtime_size },
	{ 4, LF_runtime_finalizing },
	{ 5, LF_runtime_interpreters_head },
	{ 6, LF_interp_size },
	{ 7, LF_interp_id },
	{ 8, LF_interp_next },
	{ 9, LF_interp_threads_head },
	{ 10, LF_interp_threads_main },
	{ 11, LF_interp_gc },
	{ 12, LF_interp_modules },
	{ 13, LF_interp_sysdict },
	{ 14, LF_interp_builtins },
	{ 15, LF_interp_ceval_gil },
	{ 22, LF_tstate_size },
	{ 23, LF_tstate_prev },
	{ 24, LF_tstate_next },
	{ 25, LF_tstate_interp },
	{ 26, LF_tstate_current_frame },
	{ 27, LF_tstate_thread_id },
	{ 28, LF_tstate_native_thread_id },
	{ 29, LF_tstate_datastack_chunk },
	{ 31, LF_iframe_size },
	{ 32, LF_iframe_previous },
	{ 33, LF_iframe_code },
	{ 34, LF_iframe_instr },
	{ 35, LF_iframe_localsplus },
	{ 36, LF_iframe_owner },
	{ 37, LF_iframe_stackpointer },
	{ 39, LF_code_size },
	{ 40, LF_code_filename },
	{ 41, LF_code_name },
	{ 42, LF_code_qualname },
	{ 43, LF_code_linetable },
	{ 44, LF_code_firstlineno },
	{ 45, LF_code_argcount },
	{ 46, LF_code_localsplusnames },
	{ 47, LF_code_localspluskinds },
	{ 48, LF_code_code_adaptive },
	{ 50, LF_object_size },
	{ 51, LF_object_type },
	{ 52, LF_type_size },
	{ 53, LF_type_name },
	{ 55, LF_type_flags },
	{ 56, LF_tuple_size },
	{ 57, LF_tuple_item },
	{ 58, LF_varobject_ob_size },
	{ 59, LF_list_size },
	{ 60, LF_list_item },
	{ 62, LF_set_size },
	{ 63, LF_set_used },
	{ 64, LF_set_table },
	{ 65, LF_set_mask },
	{ 66, LF_dict_size },
	{ 67, LF_dict_keys },
	{ 68, LF_dict_values },
	{ 69, LF_float_size },
	{ 70, LF_float_fval },
	{ 71, LF_long_size },
	{ 72, LF_long_lv_tag },
	{ 73, LF_long_digit },
	{ 74, LF_bytes_size },
	{ 76, LF_bytes_sval },
	{ 77, LF_unicode_size },
	{ 78, LF_ascii_state },
	{ 79, LF_ascii_length },
	{ 80, LF_ascii_size },
	{ 81, LF_gcstate_size },
	{ 82, LF_gcstate_collecting },
	{ 83, LF_gen_size },
	{ 84, LF_gen_name },
	{ 85, LF_gen_iframe },
	{ 86, LF_gen_frame_state },
};

#define MAP(v, words, g, l, h, m) \
	{ \
		v, words, g, l, h, m, sizeof(m) / sizeof(m[0]) \
	}
static const struct do_map maps[] = {
	MAP(0x030d, 73, 15, 17, 18, map_313),
	MAP(0x030e, 95, 16, 18, 19, map_314),
};

int layout_debugoffsets_read(struct target *t, uint64_t runtime_addr, struct debug_offsets *d,
			     struct hs_error *err)
{
	uint64_t w[DO_MAX_WORDS];
	const struct do_map *m = NULL;
	size_t i;

	if (target_read(t, runtime_addr, w, 3 * sizeof(w[0]), err))
		return -1;
	if (memcmp(w, "xdebugpy", 8))
		return 0;
	d->version = w[1];
	d->free_threaded = w[2];
	for (i = 0; i < LF_COUNT; i++)
		d->v[i] = -1;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (maps[i].minor_hex == d->version >> 16)
			m = &maps[i];
	/* a version whose table is not known here: the caller names it */
	if (!m)
		return 0;
	if (target_read(t, runtime_addr, w, (size_t)m->nwords * sizeof(w[0]), err))
		return -1;
	for (i = 3; i < (size_t)m->nwords; i++)
		if (w[i] >= DO_MAX_OFFSET)
			return 0; /* not a table we can trust */
	for (i = 0; i < m->n; i++)
		d->v[m->map[i].field] = (int64_t)w[m->map[i].word];
	/* The GIL fields are given relative to the interpreter; the layout
	 * wants them relative to struct _gil_runtime_state. */
	if (w[m->gil_state] && w[m->gil_locked] >= w[m->gil_state] &&
	    w[m->gil_holder] >= w[m->gil_state]) {
		d->v[LF_gil_locked] = (int64_t)(w[m->gil_locked] - w[m->gil_state]);
		d->v[LF_gil_last_holder] = (int64_t)(w[m->gil_holder] - w[m->gil_state]);
	}
	return 1;
}
