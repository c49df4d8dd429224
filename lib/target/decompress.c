/*
 * decompress.c - zstd, lz4 and xz streams into an anonymous file (see
 * decompress.h).
 *
 * The output goes to a memfd rather than to malloc'ed memory: it is
 * mapped once whole at the end, and the kernel keeps it as page cache
 * (which it may swap) rather than as our heap.  Each format is read in
 * chunks through its library's streaming decoder; the output is bounded
 * by max, whatever the input claims.
 */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>
#include "decompress.h"

#define CHUNK (1u << 20)

enum format { F_ZSTD, F_LZ4, F_XZ };

struct sink {
	int fd;
	size_t len, max;
};

static int sink_write(struct sink *s, const void *buf, size_t n, struct hs_error *err)
{
	const char *p = buf;

	if (n > s->max - s->len)
		return hs_error_set(err, HS_ENOMEM, "the decompressed core would be over %zu MiB",
				    s->max >> 20);
	while (n) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return hs_error_errno(err, HS_ENOMEM, errno,
					      "cannot keep the decompressed core");
		p += w;
		n -= (size_t)w;
		s->len += (size_t)w;
	}
	return 0;
}

/* Read up to CHUNK bytes: their count, 0 at the end, -1 on error. */
static ssize_t fill(int fd, unsigned char *in)
{
	ssize_t n;

	do
		n = read(fd, in, CHUNK);
	while (n < 0 && errno == EINTR);
	return n;
}

static int cut(const char *path, struct hs_error *err)
{
	hs_error_set(err, HS_ETRUNCATED, "%s: the compressed stream ends early", path);
	hs_error_hint(err, "the core was cut while it was written or copied: take it again");
	return -1;
}

static int run_zstd(int fd, const char *path, struct sink *s, unsigned char *in, unsigned char *out,
		    struct hs_error *err)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	size_t ret = 1;
	ssize_t n;
	int rc = -1;

	if (!z)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	ZSTD_initDStream(z);
	while ((n = fill(fd, in)) > 0) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, CHUNK, 0 };

			ret = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(ret)) {
				hs_error_set(err, HS_EFILE, "%s: %s", path, ZSTD_getErrorName(ret));
				goto out;
			}
			if (sink_write(s, out, ob.pos, err))
				goto out;
		}
	}
	if (n < 0) {
		hs_error_errno(err, HS_EFILE, errno, "cannot read %s", path);
		goto out;
	}
	/* ret is 0 only where a frame ended */
	rc = ret ? cut(path, err) : 0;
out:
	ZSTD_freeDStream(z);
	return rc;
}

static int run_lz4(int fd, const char *path, struct sink *s, unsigned char *in, unsigned char *out,
		   struct hs_error *err)
{
	LZ4F_dctx *z;
	size_t ret = 1;
	ssize_t n;
	int rc = -1;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&z, LZ4F_VERSION)))
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	while ((n = fill(fd, in)) > 0) {
		size_t at = 0;

		while (at < (size_t)n) {
			size_t isz = (size_t)n - at, osz = CHUNK;

			ret = LZ4F_decompress(z, out, &osz, in + at, &isz, NULL);
			if (LZ4F_isError(ret)) {
				hs_error_set(err, HS_EFILE, "%s: %s", path, LZ4F_getErrorName(ret));
				goto out;
			}
			if (sink_write(s, out, osz, err))
				goto out;
			at += isz;
			/* no input taken and no output made: it waits for more */
			if (!isz && !osz)
				break;
		}
	}
	if (n < 0) {
		hs_error_errno(err, HS_EFILE, errno, "cannot read %s", path);
		goto out;
	}
	rc = ret ? cut(path, err) : 0;
out:
	LZ4F_freeDecompressionContext(z);
	return rc;
}

static int run_xz(int fd, const char *path, struct sink *s, unsigned char *in, unsigned char *out,
		  struct hs_error *err)
{
	lzma_stream z = LZMA_STREAM_INIT;
	lzma_ret ret = LZMA_OK;
	ssize_t n = 1;
	int rc = -1;

	if (lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return hs_error_set(err, HS_ENOMEM, "out of memory");
	z.next_out = out;
	z.avail_out = CHUNK;
	while (ret == LZMA_OK) {
		lzma_action act = LZMA_RUN;

		if (!z.avail_in && n > 0) {
			n = fill(fd, in);
			if (n < 0) {
				hs_error_errno(err, HS_EFILE, errno, "cannot read %s", path);
				goto out;
			}
			z.next_in = in;
			z.avail_in = (size_t)n;
		}
		if (!n)
			act = LZMA_FINISH;
		ret = lzma_code(&z, act);
		if (!z.avail_out || ret == LZMA_STREAM_END) {
			if (sink_write(s, out, CHUNK - z.avail_out, err))
				goto out;
			z.next_out = out;
			z.avail_out = CHUNK;
		}
	}
	if (ret == LZMA_BUF_ERROR) {
		cut(path, err);
		goto out;
	}
	if (ret != LZMA_STREAM_END) {
		hs_error_set(err, HS_EFILE, "%s: damaged xz stream (error %d)", path, (int)ret);
		goto out;
	}
	rc = 0;
out:
	lzma_end(&z);
	return rc;
}

static const unsigned char zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
static const unsigned char lz4[] = { 0x04, 0x22, 0x4d, 0x18 };
static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

int decompress_known(const unsigned char *buf, size_t len)
{
	return (len >= sizeof(zstd) && !memcmp(buf, zstd, sizeof(zstd))) ||
	       (len >= sizeof(lz4) && !memcmp(buf, lz4, sizeof(lz4))) ||
	       (len >= sizeof(xz) && !memcmp(buf, xz, sizeof(xz)));
}

int decompress_file(int fd, const char *path, size_t max, void **out, size_t *len,
		    struct hs_error *err)
{
	unsigned char magic[6];
	struct sink s = { .fd = -1, .max = max };
	unsigned char *in = NULL, *ob = NULL;
	enum format f;
	void *map;
	int rc = -1;

	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		return hs_error_set(err, HS_ENOTCORE, "%s is too short to be a core file", path);
	if (!memcmp(magic, zstd, sizeof(zstd)))
		f = F_ZSTD;
	else if (!memcmp(magic, lz4, sizeof(lz4)))
		f = F_LZ4;
	else if (!memcmp(magic, xz, sizeof(xz)))
		f = F_XZ;
	else
		return hs_error_set(err, HS_ENOTCORE, "%s is not compressed as heapscope knows",
				    path);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return hs_error_errno(err, HS_EFILE, errno, "cannot read %s", path);
	s.fd = memfd_create("heapscope-core", MFD_CLOEXEC);
	in = malloc(CHUNK);
	ob = malloc(CHUNK);
	if (s.fd < 0 || !in || !ob) {
		hs_error_set(err, HS_ENOMEM, "out of memory");
		goto out;
	}
	if ((f == F_ZSTD ? run_zstd : f == F_LZ4 ? run_lz4 : run_xz)(fd, path, &s, in, ob, err))
		goto out;
	if (!s.len) {
		hs_error_set(err, HS_ENOTCORE, "%s decompresses to nothing", path);
		goto out;
	}
	/* shared: the memfd is ours alone, and what the walk writes into
	 * its pages costs no copy-on-write fault */
	map = mmap(NULL, s.len, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd, 0);
	if (map == MAP_FAILED) {
		hs_error_errno(err, HS_ENOMEM, errno, "cannot map the decompressed core");
		goto out;
	}
	*out = map;
	*len = s.len;
	rc = 0;
out:
	if (s.fd >= 0)
		close(s.fd);
	free(in);
	free(ob);
	return rc;
}
