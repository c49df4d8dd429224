/*
 * unit-maps - the maps reader (lib/target/maps.c) on this very process.
 *
 * maps_read of our own pid must give what /proc/self/maps says, parsed
 * here another way (by hand, field by field), entry for entry: bounds,
 * offset, permissions, device, inode and path.  A file whose name holds
 * spaces (two in a row among them) is mapped twice, privately at offset
 * 0 and at one page in; a second file only at one page in.  Checked:
 * the path comes whole; device and inode are the file's (fstat);
 * maps_find against a linear search of the parsed list, at the edges of
 * every mapping and in between; maps_file_base finds the mapping at
 * offset 0 and nothing for a file mapped only further in;
 * maps_private_pages says 0 for a private file mapping read, and 1 once
 * one of its pages was written (made writable, written, made read-only
 * again), as for anonymous memory written and not for memory untouched;
 * maps_open_file gives a descriptor of the same inode with the file's
 * bytes, none for anonymous memory, and with /proc/PID/map_files
 * refused (a child without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE)
 * still the file by its path, but not another file put where a deleted
 * one was.  A process that has exited is HS_ENOPROC, a zombie HS_EGONE.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target/maps.h"
#include "tap.h"

#define PAGE 4096u
#define MAXENT 4096
#define TEXT_MAX (1u << 20)

/* One line of /proc/self/maps, as parsed here. */
struct line {
	uint64_t start, end, offset, inode;
	unsigned major, minor;
	char perms[5];
	char path[PATH_MAX + 32];
};

static char text1[TEXT_MAX], text2[TEXT_MAX];
static struct line lines[MAXENT];
static size_t nlines;

/* /proc/self/maps into buf, NUL-terminated; its length, or -1. */
static long slurp_maps(char *buf)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while (n < TEXT_MAX - 1 && (r = read(fd, buf + n, TEXT_MAX - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return n < TEXT_MAX - 1 ? (long)n : -1;
}

/* A hexadecimal (or decimal) number at *p, ending at the character end;
 * *p moves past both.  -1 if there is none. */
static int number(const char **p, int base, char end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	for (;; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			break;
		x = x * (uint64_t)base + (uint64_t)d;
	}
	if (!digits || *s != end)
		return -1;
	*v = x;
	*p = s + 1;
	return 0;
}

/* Parse text into lines[]: 0, or -1 on a line it cannot read. */
static int parse(const char *text)
{
	const char *p = text;

	nlines = 0;
	while (*p) {
		struct line *l = &lines[nlines];
		const char *nl = strchr(p, '\n');
		uint64_t major, minor;
		size_t len;

		if (!nl || nlines == MAXENT)
			return -1;
		if (number(&p, 16, '-', &l->start) || number(&p, 16, ' ', &l->end))
			return -1;
		memcpy(l->perms, p, 4);
		l->perms[4] = '\0';
		p += 4;
		if (*p++ != ' ' || number(&p, 16, ' ', &l->offset) || number(&p, 16, ':', &major) ||
		    number(&p, 16, ' ', &minor) || number(&p, 10, ' ', &l->inode))
			return -1;
		/* the path starts after the padding, and may hold spaces */
		while (*p == ' ' && p < nl)
			p++;
		len = (size_t)(nl - p);
		if (len >= sizeof(l->path))
			return -1;
		memcpy(l->path, p, len);
		l->path[len] = '\0';
		l->major = (unsigned)major;
		l->minor = (unsigned)minor;
		nlines++;
		p = nl + 1;
	}
	return 0;
}

/* maps_read of ourselves while /proc/self/maps stays the same, and that
 * text parsed into lines[].  0, or -1. */
static int read_both(struct maps *m)
{
	struct hs_error err = HS_ERROR_INIT;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		long n1 = slurp_maps(text1), n2;

		if (n1 < 0 || maps_read(m, getpid(), &err))
			return -1;
		n2 = slurp_maps(text2);
		if (n1 == n2 && !memcmp(text1, text2, (size_t)n1))
			return parse(text1);
		maps_release(m);
	}
	return -1;
}

static unsigned prot_of(const char *perms)
{
	return (perms[0] == 'r' ? MAP_R : 0) | (perms[1] == 'w' ? MAP_W : 0) |
	       (perms[2] == 'x' ? MAP_X : 0) | (perms[3] == 's' ? MAP_S : 0);
}

/* The parsed line holding addr, by a linear search, or -1. */
static long line_of(uint64_t addr)
{
	size_t i;

	for (i = 0; i < nlines; i++)
		if (addr >= lines[i].start && addr < lines[i].end)
			return (long)i;
	return -1;
}

static void whole(void)
{
	struct maps m;
	size_t i, wrong = 0;

	if (!tap_ok(!read_both(&m), "maps_read of ourselves and /proc/self/maps, read alike"))
		return;
	for (i = 0; i < nlines && i < m.n; i++) {
		const struct line *l = &lines[i];
		const struct map_entry *e = &m.v[i];
		uint64_t dev = l->inode ? makedev(l->major, l->minor) : 0;

		if (e->start != l->start || e->end != l->end || e->offset != l->offset ||
		    e->prot != prot_of(l->perms) || e->inode != l->inode || e->dev != dev ||
		    strcmp(e->path, l->path)) {
			if (wrong++ < 5)
				tap_diag("entry %zu: %llx-%llx %llx %x %llu '%s', the file says "
					 "%llx-%llx %llx %s %x:%x %llu '%s'",
					 i, (unsigned long long)e->start,
					 (unsigned long long)e->end, (unsigned long long)e->offset,
					 e->prot, (unsigned long long)e->inode, e->path,
					 (unsigned long long)l->start, (unsigned long long)l->end,
					 (unsigned long long)l->offset, l->perms, l->major,
					 l->minor, (unsigned long long)l->inode, l->path);
		}
	}
	tap_ok(m.n == nlines && nlines > 5 && !wrong,
	       "%zu entries, each as /proc/self/maps says: bounds, offset, permissions, "
	       "device, inode, path (%zu lines there)",
	       m.n, nlines);
	maps_release(&m);
}

/* The test's files and mappings. */
static char dir[PATH_MAX], spaced[PATH_MAX + 64], other[PATH_MAX + 64];
static int spaced_fd = -1, other_fd = -1;
static unsigned char *map0, *map1, *map_other, *anon, *untouched;

static unsigned char byte_at(size_t off)
{
	return (unsigned char)(off * 131 + off / PAGE);
}

/* A file of n pages of known bytes at path; its descriptor, or -1. */
static int make_file(const char *path, size_t pages)
{
	static unsigned char buf[PAGE];
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t p, i;

	for (p = 0; fd >= 0 && p < pages; p++) {
		for (i = 0; i < PAGE; i++)
			buf[i] = byte_at(p * PAGE + i);
		if (write(fd, buf, PAGE) != PAGE) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/hs-unit-maps-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(spaced, sizeof(spaced), "%s/a file  with spaces ", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	spaced_fd = make_file(spaced, 3);
	other_fd = make_file(other, 2);
	if (spaced_fd < 0 || other_fd < 0)
		return -1;
	map0 = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, spaced_fd, 0);
	map1 = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, spaced_fd, PAGE);
	map_other = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, other_fd, PAGE);
	/* anonymous memory with a page of nothing each side, so that it
	 * stays a mapping of its own */
	anon = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	untouched = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map0 == MAP_FAILED || map1 == MAP_FAILED || map_other == MAP_FAILED ||
	    anon == MAP_FAILED || untouched == MAP_FAILED)
		return -1;
	anon += PAGE;
	untouched += PAGE;
	if (mprotect(anon, 2 * PAGE, PROT_READ | PROT_WRITE) ||
	    mprotect(untouched, PAGE, PROT_READ | PROT_WRITE))
		return -1;
	return 0;
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void files(void)
{
	struct maps m;
	const struct map_entry *e, *e1, *eo;
	struct stat st;
	struct statfs sf;
	int wrong;

	if (read_both(&m)) {
		tap_ok(0, "maps_read with the test's files mapped");
		return;
	}
	e = maps_find(&m, addr_of(map0) + PAGE);
	e1 = maps_find(&m, addr_of(map1));
	eo = maps_find(&m, addr_of(map_other));
	wrong = !e || !e1 || !eo;
	if (!wrong) {
		wrong += strcmp(e->path, spaced) || strcmp(e1->path, spaced);
		wrong += e->start != addr_of(map0) || e->end != addr_of(map0) + 3 * PAGE ||
			 e->offset != 0 || e->prot != MAP_R;
		wrong += e1->offset != PAGE || e1->prot != (MAP_R | MAP_S) || eo->offset != PAGE ||
			 strcmp(eo->path, other);
	}
	tap_ok(!wrong,
	       "a file named '%s' mapped twice: its path whole, bounds, offsets, "
	       "permissions",
	       strrchr(spaced, '/') + 1);
	if (!fstat(spaced_fd, &st) && e && e1 && e->inode == st.st_ino && e->dev == st.st_dev &&
	    e1->inode == st.st_ino && e1->dev == st.st_dev)
		tap_ok(1, "device and inode are the file's (%u:%u %llu)", major(st.st_dev),
		       minor(st.st_dev), (unsigned long long)st.st_ino);
	else if (!statfs(dir, &sf) && (sf.f_type == 0x794c7630 || sf.f_type == 0x9123683e))
		tap_skip("device and inode: on overlayfs and btrfs the maps name the "
			 "filesystem under the file, not the one stat names");
	else
		tap_ok(0, "device and inode are the file's: %s", e ? "they differ" : "no entry");
	tap_ok(maps_file_base(&m, spaced) == addr_of(map0) && maps_file_base(&m, other) == 0 &&
		       maps_file_base(&m, "/no/such/file") == 0 &&
		       maps_file_base(&m, "a file  with spaces ") == 0,
	       "maps_file_base: the mapping at offset 0; none for a file mapped only further "
	       "in, nor for a name that is not the path");
	maps_release(&m);
}

static void finding(void)
{
	struct maps m;
	size_t i, checked = 0, wrong = 0;

	if (read_both(&m)) {
		tap_ok(0, "maps_read for maps_find");
		return;
	}
	/* the edges of every entry and what lies between, then addresses
	 * all over: the same entry as a linear search of the parsed text */
	for (i = 0; i < nlines * 6 + 2000; i++) {
		uint64_t a;
		const struct map_entry *e;
		long k;

		if (i < nlines * 6) {
			const struct line *l = &lines[i / 6];
			static const int64_t d[] = { 0, 1, -1, 0, -1, 0 };

			a = (i % 6 < 3 ? l->start : l->end) + (uint64_t)d[i % 6];
			if (i % 6 == 5)
				a = (l->start + l->end) / 2;
		} else {
			uint64_t lo = lines[0].start, hi = lines[nlines - 1].end;

			a = lo + ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % (hi - lo);
		}
		e = maps_find(&m, a);
		k = line_of(a);
		checked++;
		if (k < 0 ? e != NULL : e != &m.v[k]) {
			if (wrong++ < 5)
				tap_diag("maps_find(0x%llx): entry %ld, a search finds %ld",
					 (unsigned long long)a, e ? (long)(e - m.v) : -1L, k);
		}
	}
	tap_ok(!wrong && !maps_find(&m, 0) && !maps_find(&m, UINT64_MAX),
	       "maps_find agrees with a linear search at %zu addresses", checked);
	maps_release(&m);
}

/* maps_private_pages of the entry holding addr; -2 if there is none. */
static int private_at(const struct maps *m, const void *addr)
{
	const struct map_entry *e = maps_find(m, addr_of(addr));

	return e ? maps_private_pages(getpid(), e) : -2;
}

static void private_pages(void)
{
	struct maps m;
	const struct map_entry *e0, *e1;
	volatile unsigned char sum = 0;
	int before, after0, after1, a0, a1, u;
	size_t i;

	for (i = 0; i < 3 * PAGE; i += PAGE)
		sum += map0[i];
	if (read_both(&m)) {
		tap_ok(0, "maps_read for maps_private_pages");
		return;
	}
	before = private_at(&m, map0);
	a0 = private_at(&m, anon);
	u = private_at(&m, untouched);
	maps_release(&m);
	if (before == -1) {
		tap_skip("maps_private_pages: /proc/self/pagemap cannot be read here");
		return;
	}
	tap_ok(before == 0, "a private file mapping read, never written: 0 (%d)", before);
	tap_ok(a0 == 0 && u == 0, "anonymous memory never touched: 0 (%d, %d)", a0, u);
	/* a page of it written, as the loader does to relocations */
	if (mprotect(map0 + PAGE, PAGE, PROT_READ | PROT_WRITE) ||
	    (map0[PAGE + 5] = (unsigned char)(sum + 1), 0) ||
	    mprotect(map0 + PAGE, PAGE, PROT_READ)) {
		tap_ok(0, "write a page of the private mapping");
		return;
	}
	anon[PAGE + 3] = 1;
	if (read_both(&m)) {
		tap_ok(0, "maps_read after the write");
		return;
	}
	e0 = maps_find(&m, addr_of(map0));
	e1 = maps_find(&m, addr_of(map0) + PAGE);
	after0 = private_at(&m, map0);
	after1 = private_at(&m, map0 + PAGE);
	a1 = private_at(&m, anon);
	tap_ok(e0 && e1 && after1 == 1 && after0 == (e0 == e1 ? 1 : 0),
	       "after a write to its second page: 1 for the mapping of that page (%d), %d for "
	       "%s first page (%d)",
	       after1, e0 == e1 ? 1 : 0, e0 == e1 ? "the same mapping's" : "the mapping of the",
	       after0);
	tap_ok(a1 == 1, "anonymous memory written: 1 (%d)", a1);
	maps_release(&m);
}

/* The descriptor maps_open_file gives for the entry holding addr is of
 * the inode of fd, and reads the file's bytes at off. */
static int same_file(struct maps *m, pid_t pid, uint64_t addr, int fd, size_t off)
{
	const struct map_entry *e = maps_find(m, addr);
	struct stat a, b;
	unsigned char c;
	int got = e ? maps_open_file(pid, e) : -1, ok;

	if (got < 0)
		return 0;
	ok = !fstat(got, &a) && !fstat(fd, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	     pread(got, &c, 1, (off_t)off) == 1 && c == byte_at(off);
	close(got);
	return ok;
}

/* Drop CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE from our effective set,
 * which /proc/PID/map_files asks for. */
static void drop_map_files_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	data[40 / 32].effective &= ~(1u << (40 % 32)); /* CAP_CHECKPOINT_RESTORE */
	syscall(SYS_capset, &hdr, data);
}

/* /proc/self/map_files opens for us (tried on map1, never split). */
static int map_files_allowed(void)
{
	char fn[128];
	int fd;

	snprintf(fn, sizeof(fn), "/proc/self/map_files/%llx-%llx",
		 (unsigned long long)addr_of(map1), (unsigned long long)addr_of(map1) + PAGE);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/*
 * In a child without the capabilities map_files needs: the file by its
 * path; and once it is replaced by another file, and a third is put
 * where the maps say the deleted one was, no descriptor at all.  Exit
 * status: bit 0 the first failed, bit 1 the second; 77 if map_files
 * could still be opened.
 */
static int child_by_path(void)
{
	char deleted[PATH_MAX + 96], fresh[PATH_MAX + 96];
	struct maps m;
	int rc = 0, fd, bad;

	drop_map_files_caps();
	if (map_files_allowed())
		return 77;
	if (read_both(&m))
		return 3;
	if (!same_file(&m, getpid(), addr_of(map0), spaced_fd, 2 * PAGE + 7))
		rc |= 1;
	maps_release(&m);
	/* replace the file: the maps now say "PATH (deleted)" */
	snprintf(fresh, sizeof(fresh), "%s/fresh", dir);
	snprintf(deleted, sizeof(deleted), "%s (deleted)", spaced);
	fd = make_file(fresh, 1);
	bad = fd < 0 || rename(fresh, spaced);
	if (fd >= 0)
		close(fd);
	fd = make_file(deleted, 3);
	bad |= fd < 0 || read_both(&m);
	if (fd >= 0)
		close(fd);
	if (bad)
		return 3;
	{
		const struct map_entry *e = maps_find(&m, addr_of(map0));
		int got = e ? maps_open_file(getpid(), e) : 0;

		if (!e || strcmp(e->path, deleted) || got >= 0)
			rc |= 2;
		if (got >= 0)
			close(got);
	}
	maps_release(&m);
	unlink(deleted);
	return rc;
}

static void open_file(void)
{
	struct maps m;
	int st = 0, a;
	pid_t pid;

	if (read_both(&m)) {
		tap_ok(0, "maps_read for maps_open_file");
		return;
	}
	tap_ok(same_file(&m, getpid(), addr_of(map0) + PAGE, spaced_fd, PAGE + 100) &&
		       same_file(&m, getpid(), addr_of(map1), spaced_fd, 2 * PAGE - 1) &&
		       same_file(&m, getpid(), addr_of(map_other), other_fd, PAGE + 9),
	       "maps_open_file: a descriptor of the mapped file's inode, with its bytes%s",
	       map_files_allowed() ? " (through map_files)" : " (by path)");
	a = maps_open_file(getpid(), maps_find(&m, addr_of(anon)));
	tap_ok(a < 0, "none for anonymous memory");
	if (a >= 0)
		close(a);
	maps_release(&m);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child_by_path());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
		tap_ok(0, "a child to read the maps without map_files");
		return;
	}
	if (WEXITSTATUS(st) == 77) {
		tap_skip("without map_files, the file by its path: map_files opens even "
			 "without CAP_SYS_ADMIN here");
		tap_skip("without map_files, a deleted file: map_files opens even without "
			 "CAP_SYS_ADMIN here");
		return;
	}
	tap_ok(WEXITSTATUS(st) != 3 && !(WEXITSTATUS(st) & 1),
	       "without map_files: the file by its path, checked by its inode");
	tap_ok(WEXITSTATUS(st) != 3 && !(WEXITSTATUS(st) & 2),
	       "without map_files: a deleted file, another where the maps say it was: none");
}

static void gone(void)
{
	struct hs_error err = HS_ERROR_INIT;
	struct maps m;
	int st, rc;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		tap_ok(0, "fork");
		return;
	}
	/* a zombie: its maps are empty */
	while (waitid(P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) && errno == EINTR)
		;
	rc = maps_read(&m, pid, &err);
	tap_ok(rc < 0 && err.code == HS_EGONE && m.n == 0 && !m.v,
	       "a process that exited, not yet reaped: %s (%s)", hs_code_name(err.code), err.msg);
	waitpid(pid, &st, 0);
	hs_error_clear(&err);
	rc = maps_read(&m, pid, &err);
	tap_ok(rc < 0 && err.code == HS_ENOPROC && m.n == 0 && !m.v,
	       "a process that is gone: %s (%s)", hs_code_name(err.code), err.msg);
}

static void cleanup(void)
{
	char fn[PATH_MAX + 96];

	unlink(spaced);
	unlink(other);
	snprintf(fn, sizeof(fn), "%s/fresh", dir);
	unlink(fn);
	snprintf(fn, sizeof(fn), "%s (deleted)", spaced);
	unlink(fn);
	rmdir(dir);
}

int main(void)
{
	/* what maps_read and stdio allocate, once, before the heap is read */
	struct maps warm;
	struct hs_error err = HS_ERROR_INIT;

	if (!maps_read(&warm, getpid(), &err))
		maps_release(&warm);
	srand(11);
	whole();
	if (setup()) {
		tap_ok(0, "files with spaces in their names, mapped (in %s)", dir);
		cleanup();
		return tap_done();
	}
	files();
	finding();
	private_pages();
	open_file();
	gone();
	cleanup();
	return tap_done();
}
