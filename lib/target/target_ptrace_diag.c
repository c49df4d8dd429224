/*
 * target_ptrace_diag.c - say why the kernel refused to let us trace a
 * process.
 *
 * EPERM from ptrace has many causes and the errno alone names none of
 * them.  Replay the kernel's checks (kernel/ptrace.c __ptrace_may_access,
 * the capability and yama LSMs) from what /proc shows, most specific
 * first, and name the first one that holds, with what the user can do.
 * Everything here is best effort: a /proc file we cannot read only means
 * that check is skipped.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target_ptrace_diag.h"

#define CAP_SYS_PTRACE_BIT 19

/* Capability names by bit (linux/capability.h), for messages. */
/* clang-format off */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};
/* clang-format on */

/* "cap_sys_ptrace, cap_sys_admin, ..." for the bits of mask. */
static void cap_list(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0, shown = 0;
	unsigned bit;

	buf[0] = '\0';
	for (bit = 0; bit < 64 && n < len; bit++) {
		if (!(mask >> bit & 1))
			continue;
		if (shown == 4) {
			snprintf(buf + n, len - n, ", ...");
			return;
		}
		if (bit < sizeof(cap_names) / sizeof(cap_names[0]))
			n += snprintf(buf + n, len - n, "%scap_%s", shown ? ", " : "",
				      cap_names[bit]);
		else
			n += snprintf(buf + n, len - n, "%scap %u", shown ? ", " : "", bit);
		shown++;
	}
}

/* Read a small /proc file into buf (NUL-terminated).  0 or -1. */
static int read_small(const char *fn, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The value after "key:" in a /proc status buffer, or NULL. */
static const char *status_field(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	/* bounded by the buffer: each step moves past one line */
	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return p + klen + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int status_read(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char fn[64];

	if (tid && tid != pid)
		snprintf(fn, sizeof(fn), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	else
		snprintf(fn, sizeof(fn), "/proc/%d/status", (int)pid);
	return read_small(fn, buf, len);
}

static long status_long(const char *status, const char *key, long dflt)
{
	const char *v = status_field(status, key);

	return v ? strtol(v, NULL, 10) : dflt;
}

static uint64_t status_hex(const char *status, const char *key)
{
	const char *v = status_field(status, key);

	return v ? strtoull(v, NULL, 16) : 0;
}

/* "Uid:\treal\teffective\tsaved\tfs": three first fields; 0 or -1. */
static int status_ids(const char *status, const char *key, unsigned long ids[3])
{
	const char *v = status_field(status, key);

	if (!v || sscanf(v, "%lu %lu %lu", &ids[0], &ids[1], &ids[2]) != 3)
		return -1;
	return 0;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char fn[64];

	snprintf(fn, sizeof(fn), "/proc/%d/comm", (int)pid);
	if (read_small(fn, buf, len)) {
		snprintf(buf, len, "?");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static void user_name(unsigned long uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%s (uid %lu)", res->pw_name, uid);
	else
		snprintf(buf, len, "uid %lu", uid);
}

static int yama_scope(void)
{
	char buf[32];

	if (read_small("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

/* Root in a container usually has CAP_SYS_PTRACE taken away. */
static const char *no_cap_hint(void)
{
	if (geteuid() == 0)
		return "heapscope runs as root but without CAP_SYS_PTRACE; in a "
		       "container, run the container with --cap-add=SYS_PTRACE";
	return "run heapscope as root (sudo), or give it CAP_SYS_PTRACE";
}

static int same_ns(pid_t pid, const char *ns)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/self/ns/%s", ns);
	snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns);
	if (stat(a, &sa) || stat(b, &sb))
		return 1; /* cannot tell: assume the simple case */
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int ptrace_diagnose(pid_t pid, pid_t tid, int e, const char *what, struct hs_error *err)
{
	char self[2048], target[2048], name[64], u1[128], u2[128];
	unsigned long tuid[3], tgid[3];
	int have_self, have_target, has_cap, scope;
	uint64_t caps_self, caps_target;
	long tracer;
	struct stat st;

	have_self = !read_small("/proc/self/status", self, sizeof(self));
	have_target = !status_read(pid, tid, target, sizeof(target));

	/* 1. another tracer: by far the most common refusal for root */
	tracer = have_target ? status_long(target, "TracerPid", 0) : 0;
	if (tracer > 0 && tracer == getpid()) {
		hs_error_set(err, HS_EPERM,
			     "process %d is already attached by this "
			     "heapscope",
			     (int)pid);
		return -1;
	}
	if (tracer > 0) {
		comm_of((pid_t)tracer, name, sizeof(name));
		if (tid && tid != pid)
			hs_error_set(err, HS_EPERM,
				     "thread %d of process %d is already traced by %ld (%s)",
				     (int)tid, (int)pid, tracer, name);
		else
			hs_error_set(err, HS_EPERM, "process %d is already traced by %ld (%s)",
				     (int)pid, tracer, name);
		hs_error_hint(err,
			      "a process can have one tracer only: detach %s "
			      "(process %ld) first, or wait until it is done",
			      name, tracer);
		return -1;
	}
	if (e != EPERM && e != EACCES) {
		hs_error_errno(err, HS_EPERM, e, "%s for process %d failed", what, (int)pid);
		return -1;
	}

	/* 2. not a user process at all */
	if (have_target && (status_long(target, "Kthread", 0) == 1 ||
			    status_long(target, "PPid", -1) == 2 || pid == 2)) {
		hs_error_set(err, HS_EPERM, "process %d is a kernel thread", (int)pid);
		hs_error_hint(err, "give the pid of a Python process");
		return -1;
	}

	scope = yama_scope();
	caps_self = have_self ? status_hex(self, "CapEff") : 0;
	has_cap = have_self && (caps_self >> CAP_SYS_PTRACE_BIT) & 1;

	/* 3. yama 3 beats everything, even root */
	if (scope >= 3) {
		hs_error_set(err, HS_EPERM,
			     "ptrace is disabled on this system "
			     "(kernel.yama.ptrace_scope = %d)",
			     scope);
		hs_error_hint(err,
			      "nothing can attach until the next boot; set "
			      "kernel.yama.ptrace_scope to 0 or 1 in /etc/sysctl.d and reboot");
		return -1;
	}

	if (!has_cap) {
		/* 4. yama 2: only CAP_SYS_PTRACE may trace */
		if (scope == 2) {
			hs_error_set(err, HS_EPERM,
				     "ptrace is restricted to administrators "
				     "(kernel.yama.ptrace_scope = 2) and heapscope lacks "
				     "CAP_SYS_PTRACE");
			hs_error_hint(err, "%s", no_cap_hint());
			return -1;
		}
		/* 5. another user: uid and gid must match all of the target's */
		if (have_target && !status_ids(target, "Uid", tuid) &&
		    !status_ids(target, "Gid", tgid)) {
			unsigned long me = (unsigned long)getuid();
			unsigned long mg = (unsigned long)getgid();

			if (tuid[0] != tuid[1] || tuid[0] != tuid[2] || tgid[0] != tgid[1] ||
			    tgid[0] != tgid[2]) {
				hs_error_set(err, HS_EPERM,
					     "process %d runs a setuid or setgid "
					     "program (uid %lu, effective uid %lu, gid %lu, "
					     "effective gid %lu)",
					     (int)pid, tuid[0], tuid[1], tgid[0], tgid[1]);
				hs_error_hint(err, "only root (CAP_SYS_PTRACE) may trace it: "
						   "run heapscope as root");
				return -1;
			}
			if ((tuid[0] != me || tgid[0] != mg) && geteuid() == 0) {
				/* root in a container without the capability */
				user_name(tuid[0], u1, sizeof(u1));
				hs_error_set(err, HS_EPERM,
					     "process %d belongs to %s: tracing "
					     "another user's process needs CAP_SYS_PTRACE",
					     (int)pid, u1);
				hs_error_hint(err, "%s", no_cap_hint());
				return -1;
			}
			if (tuid[0] != me || tgid[0] != mg) {
				user_name(tuid[0], u1, sizeof(u1));
				user_name(me, u2, sizeof(u2));
				hs_error_set(err, HS_EPERM,
					     "process %d belongs to %s%s; heapscope "
					     "runs as %s",
					     (int)pid, u1,
					     tuid[0] == me ? " with another group" : "", u2);
				hs_error_hint(err, "run heapscope as the same user "
						   "(sudo -u USER heapscope ...) or as root");
				return -1;
			}
			/* 6. same user, but the kernel made /proc/PID root's: the
			 * target is not dumpable */
			snprintf(u1, sizeof(u1), "/proc/%d", (int)pid);
			if (!stat(u1, &st) && st.st_uid != tuid[1]) {
				hs_error_set(err, HS_EPERM,
					     "process %d is not dumpable (it "
					     "changed credentials, or called "
					     "prctl(PR_SET_DUMPABLE, 0))",
					     (int)pid);
				hs_error_hint(err, "only root (CAP_SYS_PTRACE) may trace it: "
						   "run heapscope as root");
				return -1;
			}
		}
		/* 7. the target holds capabilities we do not */
		caps_target = have_target ? status_hex(target, "CapPrm") : 0;
		if (have_self && (caps_target & ~status_hex(self, "CapPrm"))) {
			cap_list(caps_target & ~status_hex(self, "CapPrm"), u1, sizeof(u1));
			hs_error_set(err, HS_EPERM,
				     "process %d has capabilities heapscope "
				     "lacks (%s)",
				     (int)pid, u1);
			hs_error_hint(err, "%s", no_cap_hint());
			return -1;
		}
		/* 8. yama 1: only ancestors (or a PR_SET_PTRACER exception) */
		if (scope == 1) {
			hs_error_set(err, HS_EPERM,
				     "kernel.yama.ptrace_scope = 1 lets a "
				     "process trace only its own descendants, and process %d "
				     "is not one of heapscope's",
				     (int)pid);
			hs_error_hint(err, "run heapscope as root (sudo), or allow ptrace "
					   "for now with 'sudo sysctl kernel.yama.ptrace_scope=0'");
			return -1;
		}
	}

	/* 9. CAP_SYS_PTRACE counts only in the target's user namespace */
	if (!same_ns(pid, "user")) {
		hs_error_set(err, HS_EPERM,
			     "process %d is in another user namespace, "
			     "where heapscope has no privilege",
			     (int)pid);
		hs_error_hint(err,
			      "run heapscope inside the target's namespace or "
			      "container (nsenter -t %d -U -p ..., docker exec)",
			      (int)pid);
		return -1;
	}
	if (!has_cap && geteuid() == 0) {
		hs_error_set(err, HS_EPERM,
			     "%s for process %d was refused: heapscope "
			     "runs as root but without CAP_SYS_PTRACE",
			     what, (int)pid);
		hs_error_hint(err, "%s", no_cap_hint());
		return -1;
	}
	/* 10. a seccomp filter (container default profiles) returns EPERM */
	if (have_self && status_long(self, "Seccomp", 0) == 2) {
		hs_error_set(err, HS_EPERM,
			     "%s for process %d was refused; heapscope runs "
			     "under a seccomp filter, which may forbid ptrace",
			     what, (int)pid);
		hs_error_hint(err, "in a container, run it with --cap-add=SYS_PTRACE "
				   "(or --security-opt seccomp=unconfined)");
		return -1;
	}
	/* 11. what remains: a security module (AppArmor, SELinux) */
	hs_error_errno(err, HS_EPERM, e, "%s for process %d was refused", what, (int)pid);
	hs_error_hint(err, "a security module (AppArmor, SELinux) may forbid ptrace "
			   "here; look for a denial in the audit log (dmesg, journalctl -k)");
	return -1;
}
