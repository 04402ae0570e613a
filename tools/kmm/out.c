/* SPDX-License-Identifier: MIT */
/*
 * Files written whole or not at all: each goes to a temporary beside its
 * destination and is renamed over it once complete, so a reader (or a
 * failed run) never sees half a report or half a picture.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kmm.h"

FILE *out_open(const char *path, char **tmp)
{
	size_t n = strlen(path) + 16;
	char *t = malloc(n);

	*tmp = NULL;
	if (!t)
		return NULL;
	snprintf(t, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(t);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(t);
		free(t);
		return NULL;
	}
	*tmp = t;
	return f;
}

int out_commit(FILE *f, char *tmp, const char *path)
{
	int err = ferror(f) | fflush(f);

	err |= fclose(f);
	if (!err && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	errmsg("writing %s: %s", path, strerror(errno ? errno : EIO));
	unlink(tmp);
	free(tmp);
	return -1;
}

void out_abort(FILE *f, char *tmp)
{
	if (f)
		fclose(f);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
}

int ensure_dir(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	return mkdir(dir, 0755);
}
