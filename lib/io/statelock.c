/* io/statelock.c: see io/statelock.h. */
#include "io/statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"

int cdp_state_lock(const char *path, struct cdp_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        cdp_errorf(err, "state file '%s' is not a regular file", path);
        return -1;
    }
    struct cdp_buf lock = CDP_BUF_INIT;
    cdp_buf_printf(&lock, "%s.lock", path);
    int fd = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        cdp_errorf_errno(err, errno, "cannot create lock file '%s'", lock.data);
    } else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            cdp_errorf(err, "state file '%s' is in use by another run (locked: %s)", path, lock.data);
        else
            cdp_errorf_errno(err, e, "cannot lock '%s'", lock.data);
        close(fd);
        fd = -1;
    }
    cdp_buf_release(&lock);
    return fd;
}
