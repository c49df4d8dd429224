/*
 * openfile.c - open a file heapscope reads (openfile.h).
 */
#include "config.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "openfile.h"

int open_regular(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), fl;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return OPEN_NOT_REGULAR;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}
