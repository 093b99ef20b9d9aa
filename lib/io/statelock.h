/* statelock.h: the lock a program holds on a state file while it runs.
 *
 * cdp-dedupe's state (identity/idstate.h) and cdp-merge's (profile/store.h)
 * are read at the start of a run and replaced at its end; cdp-forget
 * rewrites both. Two runs at once would each replace the state with their
 * own, losing the other's. So each run takes PATH.lock (made 0600 beside
 * the state, left there) with flock(2), without waiting: a second run
 * stops at once, naming the state. The lock goes when the descriptor is
 * closed, or the process ends however it ends.
 *
 * A state path that exists but is not a regular file (a pipe, a folder, a
 * device) is refused before the lock file is made: a pipe would be waited
 * on forever when read (cdp-dedupe, cdp-merge and cdp-forget all hung so),
 * and a folder left a lock file beside it. A path that does not exist is
 * fine: the first run makes the state. */
#ifndef CDP_IO_STATELOCK_H
#define CDP_IO_STATELOCK_H

#include "base/error.h"

/* Takes the lock on the state file path: the lock file's descriptor, or -1
 * with err (another run holds it, the lock file cannot be made, or path is
 * not a regular file). Close the descriptor to release it. */
int cdp_state_lock(const char *path, struct cdp_error *err);

#endif
