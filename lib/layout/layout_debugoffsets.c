#include "config.h"
#include <string.h>
#include "layout_debugoffsets.h"

/*
 * The 3.13 struct is a cookie, then 72 uint64_t words.  Each word index
 * maps to one layout field (or none).  Word indexes count from the start
 * of the struct in 8-byte units, the cookie being word 0.
 */
#define DO_WORDS 73
#define DO_GIL_STATE 15		/* offset of the interpreter's own GIL */
#define DO_GIL_LOCKED 17
#define DO_GIL_HOLDER 18
#define DO_MAX_OFFSET (1 << 24)

static const struct {
	int word;
	enum layout_field field;
} word_fields[] = {
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


int layout_debugoffsets_read(struct target *t, uint64_t runtime_addr,
		       struct debug_offsets *d, struct hs_error *err)
{
	uint64_t w[DO_WORDS];
	int i;

	if (target_read(t, runtime_addr, w, sizeof(w), err))
		return -1;
	if (memcmp(w, "xdebugpy", 8))
		return 0;
	d->version = w[1];
	d->free_threaded = w[2];
	for (i = 0; i < LF_COUNT; i++)
		d->v[i] = -1;
	/* Only the 3.13 layout of the table is known; a later one is read
	 * by whoever adds that version. */
	if ((d->version >> 16) != 0x030d)
		return 0;
	for (i = 3; i < DO_WORDS; i++)
		if (w[i] >= DO_MAX_OFFSET)
			return 0;	/* not a table we can trust */
	for (i = 0; i < (int)(sizeof(word_fields) / sizeof(word_fields[0])); i++)
		d->v[word_fields[i].field] = (int64_t)w[word_fields[i].word];
	/* The GIL fields are given relative to the interpreter; the layout
	 * wants them relative to struct _gil_runtime_state. */
	if (w[DO_GIL_STATE] && w[DO_GIL_LOCKED] >= w[DO_GIL_STATE] &&
	    w[DO_GIL_HOLDER] >= w[DO_GIL_STATE]) {
		d->v[LF_gil_locked] = w[DO_GIL_LOCKED] - w[DO_GIL_STATE];
		d->v[LF_gil_last_holder] = w[DO_GIL_HOLDER] - w[DO_GIL_STATE];
	}
	return 1;
}
