/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one parallel per-object engine of the core: a fixed set of worker
 * threads running one function over tasks (content objects to hash, sign,
 * verify or rewrite).  By default the first task that fails cancels the
 * rest and its error is the result of every wait; with
 * OIMA_WORKERS_INDEPENDENT each task keeps its own error.
 *
 *   w = oima_workers_new (0, OIMA_WORKERS_FAIL_FAST, hash_one, &ctx, cancellable, &error);
 *   for each object: oima_workers_push (w, task);
 *   ok = oima_workers_wait_all (w, progress, &ctx, &error);   // a batch
 *   ... or, as results are needed, in any order:
 *   ok = oima_workers_wait_task (w, task, &error);            // sign-ahead
 *   oima_workers_free (w);
 *
 * Tasks are the caller's: the engine never frees or copies them, and a task
 * is done (its function returned) before any wait reports it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _OimaWorkers OimaWorkers;

/* Runs on a worker thread.  @cancellable is cancelled by the caller's
 * cancellable or after the first failure; long work should check it. */
typedef gboolean (*OimaWorkFunc) (gpointer task, gpointer user_data, GCancellable *cancellable,
                                  GError **error);

/* Called on the waiting thread about four times a second. */
typedef void (*OimaWorkProgressFunc) (guint64 n_done, guint64 n_pushed, gpointer user_data);

typedef enum
{
  OIMA_WORKERS_FAIL_FAST = 0,        /* the first failure cancels everything */
  OIMA_WORKERS_INDEPENDENT = 1 << 0, /* a failure is only that task's */
} OimaWorkersFlags;

/* @n_jobs 0 = number of CPUs.  @cancellable (may be NULL) stops the work. */
OimaWorkers *oima_workers_new (guint n_jobs, OimaWorkersFlags flags, OimaWorkFunc func,
                               gpointer user_data, GCancellable *cancellable, GError **error);
/* Skips queued tasks, waits for running ones. */
void oima_workers_free (OimaWorkers *workers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaWorkers, oima_workers_free)

/* Queue @task.  Thread-safe. */
void oima_workers_push (OimaWorkers *workers, gpointer task);

/* Queue @task that nobody waits for: when it is done (or skipped) the
 * engine frees it with @destroy; its error, if any, is dropped, and the
 * waits above do not count it.  For work ahead whose result lands
 * elsewhere (e.g. a signature cache).  Thread-safe. */
void oima_workers_push_detached (OimaWorkers *workers, gpointer task, GDestroyNotify destroy);

/* Wait until every pushed task is done.  FALSE with the first failure's
 * error (or a cancellation error); independent tasks' errors are then
 * forgotten. */
gboolean oima_workers_wait_all (OimaWorkers *workers, OimaWorkProgressFunc progress,
                                gpointer progress_data, GError **error);

/* Wait until @task (pushed earlier) is done.  FALSE if it failed (or, fail
 * fast, any task failed), or the work was cancelled. */
gboolean oima_workers_wait_task (OimaWorkers *workers, gpointer task, GError **error);

/* The internal cancellable: cancelled on failure or by the caller's. */
GCancellable *oima_workers_get_cancellable (OimaWorkers *workers);

G_END_DECLS
