#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "layout.h"
#include "layout_cache.h"

#define CACHE_FORMAT 1
#define MAX_LINE 256

static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 2 || n > 128)
		return 0;
	return strspn(id, "0123456789abcdef") == n;
}

const char *layout_cache_dir(char *buf, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && x[0] == '/')
		snprintf(buf, len, "%s/heapscope", x);
	else if (home && home[0] == '/')
		snprintf(buf, len, "%s/.cache/heapscope", home);
	else
		return NULL;
	return buf;
}

static void file_name(char *buf, size_t len, const char *dir, const char *kind, const char *id)
{
	snprintf(buf, len, "%s/%s-%s", dir, kind, id);
}

static int field_by_name(const struct field_set *set, const char *name)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->fields[i].name, name))
			return i;
	return -1;
}

int layout_cache_load(const char *dir, const char *build_id, int64_t *v)
{
	return field_cache_load(dir, &layout_fields, build_id, v);
}

int field_cache_load(const char *dir, const struct field_set *set, const char *build_id, int64_t *v)
{
	char fn[4096], line[MAX_LINE], id[160], name[128], kind[32];
	int fmt, nfields, i, seen = 0;
	long long val;
	FILE *f;

	if (!valid_id(build_id))
		return -1;
	file_name(fn, sizeof(fn), dir, set->kind, build_id);
	f = fopen(fn, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "heapscope-%31s %d %159s %d", kind, &fmt, id, &nfields) != 4 ||
	    strcmp(kind, set->kind) || fmt != CACHE_FORMAT || strcmp(id, build_id) ||
	    nfields != set->n)
		goto miss;
	for (i = 0; i < set->n; i++)
		v[i] = -1;
	while (fgets(line, sizeof(line), f) && seen <= set->n) {
		int fld;

		if (sscanf(line, "%127s %lld", name, &val) != 2 || val < -1 || val > (1LL << 32))
			goto miss;
		fld = field_by_name(set, name);
		if (fld < 0)
			goto miss; /* written by another version of us */
		v[fld] = val;
		seen++;
	}
	fclose(f);
	return seen == set->n ? 0 : -1;
miss:
	fclose(f);
	return -1;
}

static int mkdirs(const char *dir)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -1;
	return 0;
}

int layout_cache_store(const char *dir, const char *build_id, const int64_t *v,
		       struct hs_error *err)
{
	return field_cache_store(dir, &layout_fields, build_id, v, err);
}

int field_cache_store(const char *dir, const struct field_set *set, const char *build_id,
		      const int64_t *v, struct hs_error *err)
{
	char fn[4096], tmp[4200];
	FILE *f;
	int fd, i, ok;

	if (!valid_id(build_id))
		return hs_error_set(err, HS_EFILE, "bad build-id for the layout cache");
	if (mkdirs(dir))
		return hs_error_errno(err, HS_EFILE, errno, "cannot create %s", dir);
	file_name(fn, sizeof(fn), dir, set->kind, build_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", fn, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return hs_error_errno(err, HS_EFILE, errno, "cannot create %s", tmp);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return hs_error_errno(err, HS_EFILE, errno, "cannot write %s", tmp);
	}
	fprintf(f, "heapscope-%s %d %s %d\n", set->kind, CACHE_FORMAT, build_id, set->n);
	for (i = 0; i < set->n; i++)
		fprintf(f, "%s %" PRId64 "\n", set->fields[i].name, v[i]);
	ok = !ferror(f);
	ok &= !fclose(f);
	if (!ok || rename(tmp, fn)) {
		int e = errno;

		unlink(tmp);
		return hs_error_errno(err, HS_EFILE, e, "cannot write %s", fn);
	}
	return 0;
}
