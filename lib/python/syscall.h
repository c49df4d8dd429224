/*
 * syscall.h - names of the x86-64 system calls, for saying what a
 * blocked thread waits in ("futex", "epoll_wait", "restart_syscall").
 *
 * The table is made at build time from the build machine's kernel
 * headers (<asm/unistd_64.h>, see lib/local.mk): every call the kernel
 * headers know, none typed by hand.
 */
#ifndef HS_SYSCALL_H
#define HS_SYSCALL_H

/* The name of x86-64 system call nr, or NULL if the headers heapscope was
 * built with have no call of that number (a newer kernel's, or none). */
const char *syscall_name(long nr);

#endif
