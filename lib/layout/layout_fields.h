/*
 * layout_fields.h - every offset and size heapscope reads CPython with.
 *
 * One X-macro list feeds the field enum (layout.h), the DWARF resolver
 * (layout_dwarf.c), the table generator (offsets/gen-offsets.c), the generated
 * tables (offsets/py3*.c), the layout cache and "heapscope info".
 *
 *   LF(group, name, "Struct|AltStruct", "member.path|alt.path")
 *
 * Struct names are DWARF typedef or tag names; alternatives separated by
 * '|' cover renames across versions (the first that resolves wins).
 * A member path walks nested structs with '.'; "#size" means sizeof.
 * A field absent from a version has the value -1.
 */
#ifndef HS_LAYOUT_FIELDS_H
#define HS_LAYOUT_FIELDS_H

/* clang-format off */
#define LAYOUT_GROUPS(G) \
	G(RUNTIME, "runtime") \
	G(INTERP, "interpreter") \
	G(THREAD, "thread") \
	G(FRAME, "frame") \
	G(CODE, "code") \
	G(OBJECT, "object") \
	G(TYPE, "type") \
	G(GC, "gc") \
	G(DICT, "dict") \
	G(CONTAINER, "containers") \
	G(SCALAR, "str/int/bytes/float") \
	G(FUNC, "function/method/module") \
	G(GEN, "generator") \
	G(LOCK, "locks") \
	G(ASYNC, "asyncio") \
	G(SIZEOF, "C types' __sizeof__") \
	G(ALLOC, "allocator") \
	G(FT, "free-threaded")
/* clang-format on */

/* clang-format off */
#define LAYOUT_FIELDS(LF) \
	/* _PyRuntime */ \
	LF(RUNTIME, runtime_size, "_PyRuntimeState", "#size") \
	LF(RUNTIME, runtime_interpreters_head, "_PyRuntimeState", "interpreters.head") \
	LF(RUNTIME, runtime_interpreters_main, "_PyRuntimeState", "interpreters.main") \
	LF(RUNTIME, runtime_finalizing, "_PyRuntimeState", "_finalizing|finalizing") \
	LF(RUNTIME, runtime_main_thread, "_PyRuntimeState", "main_thread") \
	LF(RUNTIME, runtime_gc, "_PyRuntimeState", "gc") \
	LF(RUNTIME, runtime_gilstate_tstate_current, "_PyRuntimeState", "gilstate.tstate_current") \
	LF(RUNTIME, runtime_ceval_gil, "_PyRuntimeState", "ceval.gil") \
	LF(RUNTIME, gil_size, "_gil_runtime_state", "#size") \
	LF(RUNTIME, gil_last_holder, "_gil_runtime_state", "last_holder") \
	LF(RUNTIME, gil_locked, "_gil_runtime_state", "locked") \
	LF(RUNTIME, gil_enabled, "_gil_runtime_state", "enabled") \
	/* PyInterpreterState */ \
	LF(INTERP, interp_size, "PyInterpreterState|_is", "#size") \
	LF(INTERP, interp_next, "PyInterpreterState|_is", "next") \
	LF(INTERP, interp_threads_head, "PyInterpreterState|_is", "threads.head|tstate_head") \
	LF(INTERP, interp_id, "PyInterpreterState|_is", "id") \
	LF(INTERP, interp_modules, "PyInterpreterState|_is", "imports.modules|modules") \
	LF(INTERP, interp_sysdict, "PyInterpreterState|_is", "sysdict") \
	LF(INTERP, interp_builtins, "PyInterpreterState|_is", "builtins") \
	LF(INTERP, interp_gc, "PyInterpreterState|_is", "gc") \
	LF(INTERP, interp_ceval_gil, "PyInterpreterState|_is", "ceval.gil") \
	LF(INTERP, interp_types_builtins, "PyInterpreterState|_is", "types.builtins.initialized|types.builtins") \
	LF(INTERP, interp_types_for_extensions, "PyInterpreterState|_is", "types.for_extensions.initialized") \
	LF(INTERP, interp_threads_main, "PyInterpreterState|_is", "threads.main") \
	LF(INTERP, static_type_state_size, "managed_static_type_state|static_builtin_state", "#size") \
	LF(INTERP, static_type_state_tp_dict, "managed_static_type_state|static_builtin_state", "tp_dict") \
	/* PyThreadState */ \
	LF(THREAD, tstate_size, "PyThreadState|_ts", "#size") \
	LF(THREAD, tstate_prev, "PyThreadState|_ts", "prev") \
	LF(THREAD, tstate_next, "PyThreadState|_ts", "next") \
	LF(THREAD, tstate_interp, "PyThreadState|_ts", "interp") \
	LF(THREAD, tstate_frame, "PyThreadState|_ts", "frame") \
	LF(THREAD, tstate_cframe, "PyThreadState|_ts", "cframe") \
	LF(THREAD, tstate_current_frame, "PyThreadState|_ts", "current_frame") \
	LF(THREAD, tstate_thread_id, "PyThreadState|_ts", "thread_id") \
	LF(THREAD, tstate_native_thread_id, "PyThreadState|_ts", "native_thread_id") \
	LF(THREAD, tstate_dict, "PyThreadState|_ts", "dict") \
	LF(THREAD, tstate_curexc_value, "PyThreadState|_ts", "curexc_value") \
	LF(THREAD, tstate_current_exception, "PyThreadState|_ts", "current_exception") \
	LF(THREAD, tstate_exc_info, "PyThreadState|_ts", "exc_info") \
	LF(THREAD, tstate_context, "PyThreadState|_ts", "context") \
	LF(THREAD, tstate_datastack_chunk, "PyThreadState|_ts", "datastack_chunk") \
	LF(THREAD, cframe_current_frame, "_PyCFrame", "current_frame") \
	LF(THREAD, cframe_previous, "_PyCFrame", "previous") \
	/* PyFrameObject (3.8-3.10 the frame itself; 3.11+ a wrapper) */ \
	LF(FRAME, frameobj_size, "PyFrameObject|_frame", "#size") \
	LF(FRAME, frameobj_back, "PyFrameObject|_frame", "f_back") \
	LF(FRAME, frameobj_code, "PyFrameObject|_frame", "f_code") \
	LF(FRAME, frameobj_builtins, "PyFrameObject|_frame", "f_builtins") \
	LF(FRAME, frameobj_globals, "PyFrameObject|_frame", "f_globals") \
	LF(FRAME, frameobj_locals, "PyFrameObject|_frame", "f_locals") \
	LF(FRAME, frameobj_valuestack, "PyFrameObject|_frame", "f_valuestack") \
	LF(FRAME, frameobj_stacktop, "PyFrameObject|_frame", "f_stacktop") \
	LF(FRAME, frameobj_stackdepth, "PyFrameObject|_frame", "f_stackdepth") \
	LF(FRAME, frameobj_trace, "PyFrameObject|_frame", "f_trace") \
	LF(FRAME, frameobj_gen, "PyFrameObject|_frame", "f_gen") \
	LF(FRAME, frameobj_lasti, "PyFrameObject|_frame", "f_lasti") \
	LF(FRAME, frameobj_lineno, "PyFrameObject|_frame", "f_lineno") \
	LF(FRAME, frameobj_state, "PyFrameObject|_frame", "f_state") \
	LF(FRAME, frameobj_localsplus, "PyFrameObject|_frame", "f_localsplus") \
	LF(FRAME, frameobj_frame, "PyFrameObject|_frame", "f_frame") \
	LF(FRAME, frameobj_frame_data, "PyFrameObject|_frame", "_f_frame_data") \
	LF(FRAME, frameobj_extra_locals, "PyFrameObject|_frame", "f_extra_locals") \
	LF(FRAME, frameobj_locals_cache, "PyFrameObject|_frame", "f_locals_cache") \
	LF(FRAME, frameobj_overwritten_fast_locals, "PyFrameObject|_frame", "f_overwritten_fast_locals") \
	/* _PyInterpreterFrame (3.11+) */ \
	LF(FRAME, iframe_size, "_PyInterpreterFrame", "#size") \
	LF(FRAME, iframe_code, "_PyInterpreterFrame", "f_executable|f_code") \
	LF(FRAME, iframe_func, "_PyInterpreterFrame", "f_funcobj|f_func") \
	LF(FRAME, iframe_globals, "_PyInterpreterFrame", "f_globals") \
	LF(FRAME, iframe_builtins, "_PyInterpreterFrame", "f_builtins") \
	LF(FRAME, iframe_locals, "_PyInterpreterFrame", "f_locals") \
	LF(FRAME, iframe_frame_obj, "_PyInterpreterFrame", "frame_obj") \
	LF(FRAME, iframe_previous, "_PyInterpreterFrame", "previous") \
	LF(FRAME, iframe_instr, "_PyInterpreterFrame", "instr_ptr|prev_instr") \
	LF(FRAME, iframe_stacktop, "_PyInterpreterFrame", "stacktop") \
	LF(FRAME, iframe_stackpointer, "_PyInterpreterFrame", "stackpointer") \
	LF(FRAME, iframe_is_entry, "_PyInterpreterFrame", "is_entry") \
	LF(FRAME, iframe_owner, "_PyInterpreterFrame", "owner") \
	LF(FRAME, iframe_localsplus, "_PyInterpreterFrame", "localsplus") \
	/* PyCodeObject */ \
	LF(CODE, code_size, "PyCodeObject", "#size") \
	LF(CODE, code_argcount, "PyCodeObject", "co_argcount") \
	LF(CODE, code_kwonlyargcount, "PyCodeObject", "co_kwonlyargcount") \
	LF(CODE, code_nlocals, "PyCodeObject", "co_nlocals") \
	LF(CODE, code_flags, "PyCodeObject", "co_flags") \
	LF(CODE, code_stacksize, "PyCodeObject", "co_stacksize") \
	LF(CODE, code_firstlineno, "PyCodeObject", "co_firstlineno") \
	LF(CODE, code_code, "PyCodeObject", "co_code") \
	LF(CODE, code_consts, "PyCodeObject", "co_consts") \
	LF(CODE, code_names, "PyCodeObject", "co_names") \
	LF(CODE, code_varnames, "PyCodeObject", "co_varnames") \
	LF(CODE, code_freevars, "PyCodeObject", "co_freevars") \
	LF(CODE, code_cellvars, "PyCodeObject", "co_cellvars") \
	LF(CODE, code_localsplusnames, "PyCodeObject", "co_localsplusnames") \
	LF(CODE, code_localspluskinds, "PyCodeObject", "co_localspluskinds") \
	LF(CODE, code_filename, "PyCodeObject", "co_filename") \
	LF(CODE, code_name, "PyCodeObject", "co_name") \
	LF(CODE, code_qualname, "PyCodeObject", "co_qualname") \
	LF(CODE, code_linetable, "PyCodeObject", "co_linetable|co_lnotab") \
	LF(CODE, code_exceptiontable, "PyCodeObject", "co_exceptiontable") \
	LF(CODE, code_nlocalsplus, "PyCodeObject", "co_nlocalsplus") \
	LF(CODE, code_framesize, "PyCodeObject", "co_framesize") \
	LF(CODE, code_code_adaptive, "PyCodeObject", "co_code_adaptive") \
	LF(CODE, code_weakreflist, "PyCodeObject", "co_weakreflist") \
	LF(CODE, code_extra, "PyCodeObject", "co_extra") \
	LF(CODE, code_cached, "PyCodeObject", "_co_cached") \
	LF(CODE, cocached_code, "_PyCoCached", "_co_code") \
	LF(CODE, cocached_varnames, "_PyCoCached", "_co_varnames") \
	LF(CODE, cocached_cellvars, "_PyCoCached", "_co_cellvars") \
	LF(CODE, cocached_freevars, "_PyCoCached", "_co_freevars") \
	LF(CODE, code_cell2arg, "PyCodeObject", "co_cell2arg") \
	LF(CODE, code_opcache, "PyCodeObject", "co_opcache") \
	LF(CODE, code_opcache_size, "PyCodeObject", "co_opcache_size") \
	LF(CODE, opcache_size, "_PyOpcache", "#size") \
	/* PyObject, PyVarObject, PyGC_Head */ \
	LF(OBJECT, object_size, "PyObject|_object", "#size") \
	LF(OBJECT, object_refcnt, "PyObject|_object", "ob_refcnt") \
	LF(OBJECT, object_type, "PyObject|_object", "ob_type") \
	LF(OBJECT, object_ob_next, "PyObject|_object", "_ob_next") \
	LF(OBJECT, varobject_size, "PyVarObject", "#size") \
	LF(OBJECT, varobject_ob_size, "PyVarObject", "ob_size") \
	LF(OBJECT, gchead_size, "PyGC_Head", "#size") \
	LF(OBJECT, gchead_next, "PyGC_Head", "_gc_next") \
	LF(OBJECT, gchead_prev, "PyGC_Head", "_gc_prev") \
	/* PyTypeObject, PyHeapTypeObject, PyMemberDef */ \
	LF(TYPE, type_size, "PyTypeObject|_typeobject", "#size") \
	LF(TYPE, type_name, "PyTypeObject|_typeobject", "tp_name") \
	LF(TYPE, type_basicsize, "PyTypeObject|_typeobject", "tp_basicsize") \
	LF(TYPE, type_itemsize, "PyTypeObject|_typeobject", "tp_itemsize") \
	LF(TYPE, type_dealloc, "PyTypeObject|_typeobject", "tp_dealloc") \
	LF(TYPE, type_flags, "PyTypeObject|_typeobject", "tp_flags") \
	LF(TYPE, type_traverse, "PyTypeObject|_typeobject", "tp_traverse") \
	LF(TYPE, type_weaklistoffset, "PyTypeObject|_typeobject", "tp_weaklistoffset") \
	LF(TYPE, type_members, "PyTypeObject|_typeobject", "tp_members") \
	LF(TYPE, type_getset, "PyTypeObject|_typeobject", "tp_getset") \
	LF(TYPE, type_base, "PyTypeObject|_typeobject", "tp_base") \
	LF(TYPE, type_dict, "PyTypeObject|_typeobject", "tp_dict") \
	LF(TYPE, type_dictoffset, "PyTypeObject|_typeobject", "tp_dictoffset") \
	LF(TYPE, type_is_gc, "PyTypeObject|_typeobject", "tp_is_gc") \
	LF(TYPE, type_bases, "PyTypeObject|_typeobject", "tp_bases") \
	LF(TYPE, type_mro, "PyTypeObject|_typeobject", "tp_mro") \
	LF(TYPE, type_subclasses, "PyTypeObject|_typeobject", "tp_subclasses") \
	LF(TYPE, type_version_tag, "PyTypeObject|_typeobject", "tp_version_tag") \
	LF(TYPE, heaptype_size, "PyHeapTypeObject|_heaptypeobject", "#size") \
	LF(TYPE, heaptype_name, "PyHeapTypeObject|_heaptypeobject", "ht_name") \
	LF(TYPE, heaptype_slots, "PyHeapTypeObject|_heaptypeobject", "ht_slots") \
	LF(TYPE, heaptype_qualname, "PyHeapTypeObject|_heaptypeobject", "ht_qualname") \
	LF(TYPE, heaptype_cached_keys, "PyHeapTypeObject|_heaptypeobject", "ht_cached_keys") \
	LF(TYPE, heaptype_module, "PyHeapTypeObject|_heaptypeobject", "ht_module") \
	LF(TYPE, type_methods, "PyTypeObject|_typeobject", "tp_methods") \
	LF(TYPE, methoddef_size, "PyMethodDef", "#size") \
	LF(TYPE, methoddef_name, "PyMethodDef", "ml_name") \
	LF(TYPE, memberdef_size, "PyMemberDef", "#size") \
	LF(TYPE, memberdef_name, "PyMemberDef", "name") \
	LF(TYPE, memberdef_type, "PyMemberDef", "type") \
	LF(TYPE, memberdef_offset, "PyMemberDef", "offset") \
	LF(TYPE, memberdef_flags, "PyMemberDef", "flags") \
	/* GC state */ \
	LF(GC, gcstate_size, "_gc_runtime_state", "#size") \
	LF(GC, gcstate_enabled, "_gc_runtime_state", "enabled") \
	LF(GC, gcstate_generations, "_gc_runtime_state", "generations|young") \
	LF(GC, gcstate_generation0, "_gc_runtime_state", "generation0") \
	LF(GC, gcstate_permanent_generation, "_gc_runtime_state", "permanent_generation") \
	LF(GC, gcstate_collecting, "_gc_runtime_state", "collecting") \
	LF(GC, gcstate_garbage, "_gc_runtime_state", "garbage") \
	LF(GC, gcstate_callbacks, "_gc_runtime_state", "callbacks") \
	LF(GC, gcgen_size, "gc_generation", "#size") \
	LF(GC, gcgen_head, "gc_generation", "head") \
	LF(GC, gcgen_threshold, "gc_generation", "threshold") \
	LF(GC, gcgen_count, "gc_generation", "count") \
	/* dict */ \
	LF(DICT, dict_size, "PyDictObject", "#size") \
	LF(DICT, dict_used, "PyDictObject", "ma_used") \
	LF(DICT, dict_keys, "PyDictObject", "ma_keys") \
	LF(DICT, dict_values, "PyDictObject", "ma_values") \
	LF(DICT, dictkeys_size, "PyDictKeysObject|_dictkeysobject", "#size") \
	LF(DICT, dictkeys_refcnt, "PyDictKeysObject|_dictkeysobject", "dk_refcnt") \
	LF(DICT, dictkeys_dk_size, "PyDictKeysObject|_dictkeysobject", "dk_size") \
	LF(DICT, dictkeys_log2_size, "PyDictKeysObject|_dictkeysobject", "dk_log2_size") \
	LF(DICT, dictkeys_log2_index_bytes, "PyDictKeysObject|_dictkeysobject", "dk_log2_index_bytes") \
	LF(DICT, dictkeys_kind, "PyDictKeysObject|_dictkeysobject", "dk_kind") \
	LF(DICT, dictkeys_usable, "PyDictKeysObject|_dictkeysobject", "dk_usable") \
	LF(DICT, dictkeys_nentries, "PyDictKeysObject|_dictkeysobject", "dk_nentries") \
	LF(DICT, dictkeys_indices, "PyDictKeysObject|_dictkeysobject", "dk_indices") \
	LF(DICT, dictentry_size, "PyDictKeyEntry", "#size") \
	LF(DICT, dictentry_hash, "PyDictKeyEntry", "me_hash") \
	LF(DICT, dictentry_key, "PyDictKeyEntry", "me_key") \
	LF(DICT, dictentry_value, "PyDictKeyEntry", "me_value") \
	LF(DICT, dictuentry_size, "PyDictUnicodeEntry", "#size") \
	LF(DICT, dictvalues_size, "PyDictValues|_dictvalues", "#size") \
	LF(DICT, dictvalues_capacity, "PyDictValues|_dictvalues", "capacity") \
	LF(DICT, dictvalues_used, "PyDictValues|_dictvalues", "size") \
	LF(DICT, dictvalues_embedded, "PyDictValues|_dictvalues", "embedded") \
	LF(DICT, dictvalues_valid, "PyDictValues|_dictvalues", "valid") \
	LF(DICT, dictvalues_values, "PyDictValues|_dictvalues", "values") \
	/* list, tuple, set */ \
	LF(CONTAINER, list_size, "PyListObject", "#size") \
	LF(CONTAINER, list_item, "PyListObject", "ob_item") \
	LF(CONTAINER, list_allocated, "PyListObject", "allocated") \
	LF(CONTAINER, tuple_size, "PyTupleObject", "#size") \
	LF(CONTAINER, tuple_item, "PyTupleObject", "ob_item") \
	LF(CONTAINER, tuple_hash, "PyTupleObject", "ob_hash") \
	LF(CONTAINER, set_size, "PySetObject", "#size") \
	LF(CONTAINER, set_fill, "PySetObject", "fill") \
	LF(CONTAINER, set_used, "PySetObject", "used") \
	LF(CONTAINER, set_mask, "PySetObject", "mask") \
	LF(CONTAINER, set_table, "PySetObject", "table") \
	LF(CONTAINER, set_smalltable, "PySetObject", "smalltable") \
	LF(CONTAINER, set_weakreflist, "PySetObject", "weakreflist") \
	LF(CONTAINER, setentry_size, "setentry", "#size") \
	LF(CONTAINER, setentry_key, "setentry", "key") \
	LF(CONTAINER, setentry_hash, "setentry", "hash") \
	LF(CONTAINER, deque_leftblock, "dequeobject", "leftblock") \
	LF(CONTAINER, deque_leftindex, "dequeobject", "leftindex") \
	LF(CONTAINER, block_size, "BLOCK", "#size") \
	LF(CONTAINER, block_data, "BLOCK", "data") \
	LF(CONTAINER, block_rightlink, "BLOCK", "rightlink") \
	/* str, int, float, bytes, bytearray */ \
	LF(SCALAR, ascii_size, "PyASCIIObject", "#size") \
	LF(SCALAR, ascii_length, "PyASCIIObject", "length") \
	LF(SCALAR, ascii_hash, "PyASCIIObject", "hash") \
	LF(SCALAR, ascii_state, "PyASCIIObject", "state") \
	LF(SCALAR, ascii_wstr, "PyASCIIObject", "wstr") \
	LF(SCALAR, compact_size, "PyCompactUnicodeObject", "#size") \
	LF(SCALAR, compact_utf8_length, "PyCompactUnicodeObject", "utf8_length") \
	LF(SCALAR, compact_utf8, "PyCompactUnicodeObject", "utf8") \
	LF(SCALAR, compact_wstr_length, "PyCompactUnicodeObject", "wstr_length") \
	LF(SCALAR, unicode_size, "PyUnicodeObject", "#size") \
	LF(SCALAR, unicode_data, "PyUnicodeObject", "data") \
	LF(SCALAR, long_size, "PyLongObject|_longobject", "#size") \
	LF(SCALAR, long_lv_tag, "PyLongObject|_longobject", "long_value.lv_tag") \
	LF(SCALAR, long_digit, "PyLongObject|_longobject", "long_value.ob_digit|ob_digit") \
	LF(SCALAR, float_size, "PyFloatObject", "#size") \
	LF(SCALAR, float_fval, "PyFloatObject", "ob_fval") \
	LF(SCALAR, bytes_size, "PyBytesObject", "#size") \
	LF(SCALAR, bytes_shash, "PyBytesObject", "ob_shash") \
	LF(SCALAR, bytes_sval, "PyBytesObject", "ob_sval") \
	LF(SCALAR, bytearray_size, "PyByteArrayObject", "#size") \
	LF(SCALAR, bytearray_alloc, "PyByteArrayObject", "ob_alloc") \
	LF(SCALAR, bytearray_bytes, "PyByteArrayObject", "ob_bytes") \
	LF(SCALAR, bytearray_start, "PyByteArrayObject", "ob_start") \
	/* function, cell, methods, descriptors, module, weakref, exceptions */ \
	LF(FUNC, func_size, "PyFunctionObject", "#size") \
	LF(FUNC, func_code, "PyFunctionObject", "func_code") \
	LF(FUNC, func_globals, "PyFunctionObject", "func_globals") \
	LF(FUNC, func_builtins, "PyFunctionObject", "func_builtins") \
	LF(FUNC, func_name, "PyFunctionObject", "func_name") \
	LF(FUNC, func_qualname, "PyFunctionObject", "func_qualname") \
	LF(FUNC, func_defaults, "PyFunctionObject", "func_defaults") \
	LF(FUNC, func_kwdefaults, "PyFunctionObject", "func_kwdefaults") \
	LF(FUNC, func_closure, "PyFunctionObject", "func_closure") \
	LF(FUNC, func_doc, "PyFunctionObject", "func_doc") \
	LF(FUNC, func_dict, "PyFunctionObject", "func_dict") \
	LF(FUNC, func_weakreflist, "PyFunctionObject", "func_weakreflist") \
	LF(FUNC, func_module, "PyFunctionObject", "func_module") \
	LF(FUNC, func_annotations, "PyFunctionObject", "func_annotations") \
	LF(FUNC, func_typeparams, "PyFunctionObject", "func_typeparams") \
	LF(FUNC, func_annotate, "PyFunctionObject", "func_annotate") \
	LF(FUNC, cell_size, "PyCellObject", "#size") \
	LF(FUNC, cell_ref, "PyCellObject", "ob_ref") \
	LF(FUNC, method_size, "PyMethodObject", "#size") \
	LF(FUNC, method_func, "PyMethodObject", "im_func") \
	LF(FUNC, method_self, "PyMethodObject", "im_self") \
	LF(FUNC, method_weakreflist, "PyMethodObject", "im_weakreflist") \
	LF(FUNC, cfunc_size, "PyCFunctionObject", "#size") \
	LF(FUNC, cfunc_ml, "PyCFunctionObject", "m_ml") \
	LF(FUNC, cfunc_self, "PyCFunctionObject", "m_self") \
	LF(FUNC, cfunc_module, "PyCFunctionObject", "m_module") \
	LF(FUNC, cmethod_size, "PyCMethodObject", "#size") \
	LF(FUNC, cmethod_class, "PyCMethodObject", "mm_class") \
	LF(FUNC, descr_type, "PyDescrObject", "d_type") \
	LF(FUNC, descr_name, "PyDescrObject", "d_name") \
	LF(FUNC, descr_qualname, "PyDescrObject", "d_qualname") \
	LF(FUNC, memberdescr_size, "PyMemberDescrObject", "#size") \
	LF(FUNC, memberdescr_member, "PyMemberDescrObject", "d_member") \
	LF(FUNC, module_size, "PyModuleObject", "#size") \
	LF(FUNC, module_dict, "PyModuleObject", "md_dict") \
	LF(FUNC, module_def, "PyModuleObject", "md_def") \
	LF(FUNC, module_state, "PyModuleObject", "md_state") \
	LF(FUNC, module_weaklist, "PyModuleObject", "md_weaklist") \
	LF(FUNC, module_name, "PyModuleObject", "md_name") \
	LF(FUNC, moduledef_m_size, "PyModuleDef", "m_size") \
	LF(FUNC, weakref_size, "PyWeakReference|_PyWeakReference", "#size") \
	LF(FUNC, weakref_object, "PyWeakReference|_PyWeakReference", "wr_object") \
	LF(FUNC, weakref_callback, "PyWeakReference|_PyWeakReference", "wr_callback") \
	LF(FUNC, classmethod_callable, "classmethod", "cm_callable") \
	LF(FUNC, classmethod_dict, "classmethod", "cm_dict") \
	LF(FUNC, staticmethod_callable, "staticmethod", "sm_callable") \
	LF(FUNC, staticmethod_dict, "staticmethod", "sm_dict") \
	LF(FUNC, property_get, "propertyobject", "prop_get") \
	LF(FUNC, property_set, "propertyobject", "prop_set") \
	LF(FUNC, property_del, "propertyobject", "prop_del") \
	LF(FUNC, property_doc, "propertyobject", "prop_doc") \
	LF(FUNC, property_name, "propertyobject", "prop_name") \
	LF(FUNC, exc_size, "PyBaseExceptionObject", "#size") \
	LF(FUNC, exc_dict, "PyBaseExceptionObject", "dict") \
	LF(FUNC, exc_args, "PyBaseExceptionObject", "args") \
	LF(FUNC, exc_notes, "PyBaseExceptionObject", "notes") \
	LF(FUNC, exc_traceback, "PyBaseExceptionObject", "traceback") \
	LF(FUNC, exc_context, "PyBaseExceptionObject", "context") \
	LF(FUNC, exc_cause, "PyBaseExceptionObject", "cause") \
	/* generators, coroutines, async generators */ \
	LF(GEN, gen_size, "PyGenObject", "#size") \
	LF(GEN, gen_frame, "PyGenObject", "gi_frame") \
	LF(GEN, gen_code, "PyGenObject", "gi_code") \
	LF(GEN, gen_weakreflist, "PyGenObject", "gi_weakreflist") \
	LF(GEN, gen_name, "PyGenObject", "gi_name") \
	LF(GEN, gen_qualname, "PyGenObject", "gi_qualname") \
	LF(GEN, gen_exc_state, "PyGenObject", "gi_exc_state") \
	LF(GEN, gen_origin_or_finalizer, "PyGenObject", "gi_origin_or_finalizer") \
	LF(GEN, gen_frame_state, "PyGenObject", "gi_frame_state") \
	LF(GEN, gen_iframe, "PyGenObject", "gi_iframe") \
	/* _thread.lock and _thread.RLock (Modules/_threadmodule.c): \
	 * a locked byte, an owner thread and a count up to 3.13; a \
	 * PyMutex, and an _PyRecursiveMutex {mutex, thread, level} \
	 * from 3.14 */ \
	LF(LOCK, lock_locked, "lockobject", "locked") \
	LF(LOCK, lock_mutex, "lockobject", "lock") \
	LF(LOCK, rlock_owner, "rlockobject", "rlock_owner|lock.thread") \
	LF(LOCK, rlock_count, "rlockobject", "rlock_count|lock.level") \
	LF(LOCK, rlock_mutex, "rlockobject", "lock.mutex") \
	/* _asyncio.Future and _asyncio.Task (Modules/_asynciomodule.c, \
	 * in the _asyncio extension module: from its DWARF through \
	 * make offsets, the tables at run time).  A Task starts with \
	 * the Future's fields (FutureObj_HEAD) */ \
	LF(ASYNC, future_size, "FutureObj", "#size") \
	LF(ASYNC, future_loop, "FutureObj", "fut_loop") \
	LF(ASYNC, future_callback0, "FutureObj", "fut_callback0") \
	LF(ASYNC, future_context0, "FutureObj", "fut_context0") \
	LF(ASYNC, future_callbacks, "FutureObj", "fut_callbacks") \
	LF(ASYNC, future_exception, "FutureObj", "fut_exception") \
	LF(ASYNC, future_exception_tb, "FutureObj", "fut_exception_tb") \
	LF(ASYNC, future_result, "FutureObj", "fut_result") \
	LF(ASYNC, future_source_tb, "FutureObj", "fut_source_tb") \
	LF(ASYNC, future_cancel_msg, "FutureObj", "fut_cancel_msg") \
	LF(ASYNC, future_cancelled_exc, "FutureObj", "fut_cancelled_exc|fut_cancelled_error") \
	LF(ASYNC, future_awaited_by, "FutureObj", "fut_awaited_by") \
	LF(ASYNC, future_state, "FutureObj", "fut_state") \
	LF(ASYNC, future_dict, "FutureObj", "dict") \
	LF(ASYNC, task_size, "TaskObj", "#size") \
	LF(ASYNC, task_fut_waiter, "TaskObj", "task_fut_waiter") \
	LF(ASYNC, task_coro, "TaskObj", "task_coro") \
	LF(ASYNC, task_name, "TaskObj", "task_name") \
	LF(ASYNC, task_context, "TaskObj", "task_context") \
	/* what the __sizeof__ of C types other than the builtins reads \
	 * (walk_sizeof.c): libpython's _io, itertools and OrderedDict, \
	 * and the array, _struct, _decimal and _elementtree extension \
	 * modules (their DWARF through make offsets, the tables at run \
	 * time) */ \
	LF(SIZEOF, odict_first, "PyODictObject|_odictobject", "od_first") \
	LF(SIZEOF, odict_fast_nodes_size, "PyODictObject|_odictobject", "od_fast_nodes_size") \
	LF(SIZEOF, odictnode_size, "_ODictNode|_odictnode", "#size") \
	LF(SIZEOF, bytesio_buf, "bytesio", "buf") \
	LF(SIZEOF, buffered_buffer, "buffered", "buffer") \
	LF(SIZEOF, buffered_buffer_size, "buffered", "buffer_size") \
	LF(SIZEOF, product_pools, "productobject", "pools") \
	LF(SIZEOF, combinations_r, "combinationsobject", "r") \
	LF(SIZEOF, cwr_r, "cwrobject", "r") \
	LF(SIZEOF, permutations_pool, "permutationsobject", "pool") \
	LF(SIZEOF, permutations_r, "permutationsobject", "r") \
	LF(SIZEOF, array_allocated, "arrayobject", "allocated") \
	LF(SIZEOF, array_descr, "arrayobject", "ob_descr") \
	LF(SIZEOF, arraydescr_itemsize, "arraydescr", "itemsize") \
	LF(SIZEOF, struct_codes, "PyStructObject", "s_codes") \
	LF(SIZEOF, formatcode_size, "formatcode|_formatcode", "#size") \
	LF(SIZEOF, formatcode_fmtdef, "formatcode|_formatcode", "fmtdef") \
	LF(SIZEOF, decimal_flags, "PyDecObject", "dec.flags") \
	LF(SIZEOF, decimal_alloc, "PyDecObject", "dec.alloc") \
	LF(SIZEOF, element_extra, "ElementObject", "extra") \
	LF(SIZEOF, elementextra_size, "ElementObjectExtra", "#size") \
	LF(SIZEOF, elementextra_allocated, "ElementObjectExtra", "allocated") \
	LF(SIZEOF, elementextra_children, "ElementObjectExtra", "children") \
	LF(SIZEOF, elementextra_inline, "ElementObjectExtra", "_children") \
	/* pymalloc's state: static variables of obmalloc.c before 3.12, \
	 * then the interpreter's (embedded in 3.12, a pointer from 3.13) */ \
	LF(ALLOC, interp_obmalloc, "PyInterpreterState|_is", "obmalloc") \
	LF(ALLOC, obmalloc_arenas, "_obmalloc_state", "mgmt.arenas") \
	LF(ALLOC, obmalloc_maxarenas, "_obmalloc_state", "mgmt.maxarenas") \
	LF(ALLOC, obmalloc_narenas, "_obmalloc_state", "mgmt.narenas_currently_allocated") \
	LF(ALLOC, arena_object_size, "arena_object", "#size") \
	LF(ALLOC, arena_address, "arena_object", "address") \
	LF(ALLOC, arena_pool_address, "arena_object", "pool_address") \
	LF(ALLOC, arena_nfreepools, "arena_object", "nfreepools") \
	LF(ALLOC, arena_ntotalpools, "arena_object", "ntotalpools") \
	LF(ALLOC, pool_header_size, "pool_header", "#size") \
	LF(ALLOC, pool_count, "pool_header", "ref.count") \
	LF(ALLOC, pool_szidx, "pool_header", "szidx") \
	/* free-threaded builds (3.13t+): the object header's split \
	 * refcount, per-thread state, mimalloc's heaps (CPYTHON-3.14.md \
	 * Part B) */ \
	LF(FT, object_ob_tid, "PyObject|_object", "ob_tid") \
	LF(FT, object_ob_flags, "PyObject|_object", "ob_flags") \
	LF(FT, object_ob_mutex, "PyObject|_object", "ob_mutex") \
	LF(FT, object_gc_bits, "PyObject|_object", "ob_gc_bits") \
	LF(FT, object_ref_local, "PyObject|_object", "ob_ref_local") \
	LF(FT, object_ref_shared, "PyObject|_object", "ob_ref_shared") \
	LF(FT, heaptype_unique_id, "PyHeapTypeObject|_heaptypeobject", "unique_id") \
	LF(FT, code_unique_id, "PyCodeObject", "_co_unique_id") \
	LF(FT, code_tlbc, "PyCodeObject", "co_tlbc") \
	LF(FT, iframe_tlbc_index, "_PyInterpreterFrame", "tlbc_index") \
	LF(FT, dict_watcher_tag, "PyDictObject", "_ma_watcher_tag") \
	LF(FT, runtime_allocators_debug, "_PyRuntimeState", "allocators.is_debug_enabled") \
	LF(FT, interp_mimalloc_pool, "PyInterpreterState|_is", "mimalloc.abandoned_pool") \
	LF(FT, interp_unique_ids_table, "PyInterpreterState|_is", "unique_ids.table") \
	LF(FT, interp_unique_ids_size, "PyInterpreterState|_is", "unique_ids.size") \
	LF(FT, tstateimpl_c_stack_refs, "_PyThreadStateImpl", "c_stack_refs") \
	LF(FT, tstateimpl_mimalloc, "_PyThreadStateImpl", "mimalloc") \
	LF(FT, tstateimpl_freelists, "_PyThreadStateImpl", "freelists") \
	LF(FT, tstateimpl_brc_objects, "_PyThreadStateImpl", "brc.objects_to_merge") \
	LF(FT, tstateimpl_brc_local_objects, "_PyThreadStateImpl", "brc.local_objects_to_merge") \
	LF(FT, tstateimpl_refcounts_values, "_PyThreadStateImpl", "refcounts.values") \
	LF(FT, tstateimpl_refcounts_size, "_PyThreadStateImpl", "refcounts.size") \
	LF(FT, freelists_size, "_Py_freelists", "#size") \
	LF(FT, objstack_size, "_PyObjectStackChunk", "#size") \
	LF(FT, objstack_prev, "_PyObjectStackChunk", "prev") \
	LF(FT, objstack_n, "_PyObjectStackChunk", "n") \
	LF(FT, objstack_objs, "_PyObjectStackChunk", "objs") \
	LF(FT, mts_heaps, "_mimalloc_thread_state", "heaps") \
	LF(FT, mts_tld, "_mimalloc_thread_state", "tld") \
	LF(FT, mts_initialized, "_mimalloc_thread_state", "initialized") \
	LF(FT, miheap_size, "mi_heap_s|mi_heap_t", "#size") \
	LF(FT, miheap_tld, "mi_heap_s|mi_heap_t", "tld") \
	LF(FT, miheap_pages, "mi_heap_s|mi_heap_t", "pages") \
	LF(FT, miheap_thread_delayed_free, "mi_heap_s|mi_heap_t", "thread_delayed_free") \
	LF(FT, miheap_thread_id, "mi_heap_s|mi_heap_t", "thread_id") \
	LF(FT, miheap_page_count, "mi_heap_s|mi_heap_t", "page_count") \
	LF(FT, miheap_tag, "mi_heap_s|mi_heap_t", "tag") \
	LF(FT, mipageq_size, "mi_page_queue_s|mi_page_queue_t", "#size") \
	LF(FT, mipageq_first, "mi_page_queue_s|mi_page_queue_t", "first") \
	LF(FT, mipage_size, "mi_page_s|mi_page_t", "#size") \
	LF(FT, mipage_slice_count, "mi_page_s|mi_page_t", "slice_count") \
	LF(FT, mipage_slice_offset, "mi_page_s|mi_page_t", "slice_offset") \
	LF(FT, mipage_debug_offset, "mi_page_s|mi_page_t", "debug_offset") \
	LF(FT, mipage_capacity, "mi_page_s|mi_page_t", "capacity") \
	LF(FT, mipage_reserved, "mi_page_s|mi_page_t", "reserved") \
	LF(FT, mipage_free, "mi_page_s|mi_page_t", "free") \
	LF(FT, mipage_used, "mi_page_s|mi_page_t", "used") \
	LF(FT, mipage_xblock_size, "mi_page_s|mi_page_t", "xblock_size") \
	LF(FT, mipage_local_free, "mi_page_s|mi_page_t", "local_free") \
	LF(FT, mipage_xthread_free, "mi_page_s|mi_page_t", "xthread_free") \
	LF(FT, mipage_xheap, "mi_page_s|mi_page_t", "xheap") \
	LF(FT, mipage_next, "mi_page_s|mi_page_t", "next") \
	LF(FT, misegment_size, "mi_segment_s|mi_segment_t", "#size") \
	LF(FT, misegment_abandoned_next, "mi_segment_s|mi_segment_t", "abandoned_next") \
	LF(FT, misegment_thread_id, "mi_segment_s|mi_segment_t", "thread_id") \
	LF(FT, misegment_kind, "mi_segment_s|mi_segment_t", "kind") \
	LF(FT, misegment_slice_entries, "mi_segment_s|mi_segment_t", "slice_entries") \
	LF(FT, misegment_slices, "mi_segment_s|mi_segment_t", "slices") \
	LF(FT, mitld_segments_abandoned, "mi_tld_s|mi_tld_t", "segments.abandoned") \
	LF(FT, mipool_abandoned_visited, "mi_abandoned_pool_s|mi_abandoned_pool_t", "abandoned_visited") \
	LF(FT, mipool_abandoned, "mi_abandoned_pool_s|mi_abandoned_pool_t", "abandoned")
/* clang-format on */

#endif
