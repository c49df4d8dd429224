#include "config.h"
#include "unwind.h"
int unwind_merge(struct pyproc *p, struct stacks *s, struct hs_error *err)
{
	return hs_error_set(err, HS_EINTERNAL, "native unwinding is not built yet");
}
