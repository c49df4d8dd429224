/*
 * noptrace - run a command under a seccomp filter that refuses ptrace(2)
 * and process_vm_readv(2) with EPERM, as a container's seccomp profile
 * does where ptrace is not allowed.
 *
 *   noptrace [--ptrace-only] COMMAND [ARG]...
 *
 * For test_faults.py: heapscope must say why it cannot attach, exit 6
 * and leave the target as it was; and with --ptrace-only (reads allowed)
 * a --no-stop capture must work, which proves it never stops the target.
 * Exits 77 where it cannot install the filter (not x86_64, no seccomp).
 */
#include "config.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENY(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

int main(int argc, char **argv)
{
	int only = argc > 1 && !strcmp(argv[1], "--ptrace-only");
	/* the read rule comes last, so that --ptrace-only can end the filter
	 * before it */
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(__NR_ptrace),
		DENY(__NR_process_vm_writev),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* --ptrace-only ends here */
		DENY(__NR_process_vm_readv),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	size_t n = sizeof(filter) / sizeof(filter[0]);
	struct sock_fprog prog = { .len = (unsigned short)(only ? n - 3 : n), .filter = filter };

#if !defined(__x86_64__)
	fprintf(stderr, "noptrace: the filter is written for x86_64\n");
	return 77;
#endif
	argv += only;
	argc -= only;
	if (argc < 2) {
		fprintf(stderr, "usage: noptrace [--ptrace-only] COMMAND [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("noptrace: seccomp");
		return 77;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
