#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "error.h"

static const int exit_status[] = {
#define HS_X(c, s, n, w) [c] = s,
	HS_ERROR_CODES(HS_X)
#undef HS_X
};

static const char *const code_names[] = {
#define HS_X(c, s, n, w) [c] = n,
	HS_ERROR_CODES(HS_X)
#undef HS_X
};

static void vset(struct hs_error *err, enum hs_code code, int e, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (e) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(e));
	}
	err->code = code;
	err->sys_errno = e;
	err->hint[0] = '\0';
}

int hs_error_set(struct hs_error *err, enum hs_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != HS_OK)
		return -1;
	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int hs_error_errno(struct hs_error *err, enum hs_code code, int e, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != HS_OK)
		return -1;
	va_start(ap, fmt);
	vset(err, code, e, fmt, ap);
	va_end(ap);
	return -1;
}

void hs_error_hint(struct hs_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void hs_error_clear(struct hs_error *err)
{
	err->code = HS_OK;
	err->sys_errno = 0;
	err->msg[0] = err->hint[0] = '\0';
}

int hs_exit_status(enum hs_code code)
{
	if ((unsigned)code >= HS_NCODES)
		return exit_status[HS_EINTERNAL];
	return exit_status[code];
}

const char *hs_code_name(enum hs_code code)
{
	if ((unsigned)code >= HS_NCODES)
		return "unknown";
	return code_names[code];
}
