/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-workers.h"

#define PROGRESS_INTERVAL (250 * G_TIME_SPAN_MILLISECOND)

struct _OimaWorkers
{
  OimaWorkersFlags flags;
  OimaWorkFunc func;
  gpointer user_data;
  GThreadPool *pool;
  GCancellable *cancellable; /* internal */
  GCancellable *caller_cancellable;
  gulong caller_handler;
  gulong wake_handler;

  GMutex lock; /* protects everything below */
  GCond cond;
  guint64 n_pushed;
  guint64 n_done;
  GHashTable *done;        /* tasks done and not yet waited for by wait_task */
  GError *error;           /* the first failure */
  GHashTable *task_errors; /* INDEPENDENT: task -> GError */
};

static void
record_failure (OimaWorkers *w, gpointer task, GError *error)
{
  g_mutex_lock (&w->lock);
  if (w->flags & OIMA_WORKERS_INDEPENDENT)
    {
      g_hash_table_replace (w->task_errors, task, error);
      g_mutex_unlock (&w->lock);
      return;
    }
  if (w->error == NULL)
    w->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&w->lock);
  g_cancellable_cancel (w->cancellable);
}

static void
run_task (gpointer task, gpointer user_data)
{
  OimaWorkers *w = user_data;
  GError *local_error = NULL;
  if (!g_cancellable_is_cancelled (w->cancellable)
      && !w->func (task, w->user_data, w->cancellable, &local_error))
    record_failure (w, task, local_error);

  g_mutex_lock (&w->lock);
  w->n_done++;
  g_hash_table_add (w->done, task);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
forward_cancel (GCancellable *caller, GCancellable *internal)
{
  g_cancellable_cancel (internal);
}

static void
wake_waiters (GCancellable *internal, OimaWorkers *w)
{
  g_mutex_lock (&w->lock);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

OimaWorkers *
oima_workers_new (guint n_jobs, OimaWorkersFlags flags, OimaWorkFunc func, gpointer user_data,
                  GCancellable *cancellable, GError **error)
{
  OimaWorkers *w = g_new0 (OimaWorkers, 1);
  w->flags = flags;
  w->task_errors = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_error_free);
  w->func = func;
  w->user_data = user_data;
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->done = g_hash_table_new (NULL, NULL);
  w->cancellable = g_cancellable_new ();
  w->wake_handler = g_signal_connect (w->cancellable, "cancelled", G_CALLBACK (wake_waiters), w);
  if (cancellable)
    {
      w->caller_cancellable = g_object_ref (cancellable);
      w->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel),
                                                 g_object_ref (w->cancellable), g_object_unref);
    }
  w->pool = g_thread_pool_new (run_task, w, n_jobs ? n_jobs : g_get_num_processors (), TRUE, error);
  if (w->pool == NULL)
    {
      oima_workers_free (w);
      return NULL;
    }
  return w;
}

void
oima_workers_free (OimaWorkers *workers)
{
  /* Queued tasks are dropped; running ones finish first. */
  g_cancellable_cancel (workers->cancellable);
  if (workers->pool)
    g_thread_pool_free (workers->pool, TRUE, TRUE);
  if (workers->caller_cancellable)
    {
      g_cancellable_disconnect (workers->caller_cancellable, workers->caller_handler);
      g_object_unref (workers->caller_cancellable);
    }
  g_signal_handler_disconnect (workers->cancellable, workers->wake_handler);
  g_object_unref (workers->cancellable);
  g_hash_table_unref (workers->done);
  g_hash_table_unref (workers->task_errors);
  g_clear_error (&workers->error);
  g_mutex_clear (&workers->lock);
  g_cond_clear (&workers->cond);
  g_free (workers);
}

void
oima_workers_push (OimaWorkers *workers, gpointer task)
{
  g_mutex_lock (&workers->lock);
  workers->n_pushed++;
  g_mutex_unlock (&workers->lock);
  GError *local_error = NULL;
  /* An exclusive pool only fails to push when it cannot start a thread. */
  if (!g_thread_pool_push (workers->pool, task, &local_error))
    {
      record_failure (workers, task, local_error);
      g_mutex_lock (&workers->lock);
      workers->n_done++;
      g_hash_table_add (workers->done, task);
      g_cond_broadcast (&workers->cond);
      g_mutex_unlock (&workers->lock);
    }
}

/* With the lock held: the result of a wait that is over. */
static gboolean
wait_result (OimaWorkers *w, GError **error)
{
  if (w->error)
    {
      g_propagate_error (error, g_error_copy (w->error));
      return FALSE;
    }
  if (w->caller_cancellable && g_cancellable_set_error_if_cancelled (w->caller_cancellable, error))
    return FALSE;
  return TRUE;
}

gboolean
oima_workers_wait_all (OimaWorkers *workers, OimaWorkProgressFunc progress, gpointer progress_data,
                       GError **error)
{
  OimaWorkers *w = workers;
  g_mutex_lock (&w->lock);
  gint64 next_report = g_get_monotonic_time () + PROGRESS_INTERVAL;
  while (w->n_done < w->n_pushed)
    {
      if (progress == NULL)
        {
          g_cond_wait (&w->cond, &w->lock);
          continue;
        }
      g_cond_wait_until (&w->cond, &w->lock, next_report);
      gint64 now = g_get_monotonic_time ();
      if (now < next_report)
        continue;
      next_report = now + PROGRESS_INTERVAL;
      guint64 done = w->n_done, pushed = w->n_pushed;
      g_mutex_unlock (&w->lock);
      progress (done, pushed, progress_data);
      g_mutex_lock (&w->lock);
    }
  /* Nobody will ask for these one by one. */
  g_hash_table_remove_all (w->done);
  GHashTableIter it;
  gpointer task_error = NULL;
  g_hash_table_iter_init (&it, w->task_errors);
  if (w->error == NULL && g_hash_table_iter_next (&it, NULL, &task_error))
    w->error = g_error_copy (task_error);
  g_hash_table_remove_all (w->task_errors);
  gboolean ok = wait_result (w, error);
  g_mutex_unlock (&w->lock);
  return ok;
}

gboolean
oima_workers_wait_task (OimaWorkers *workers, gpointer task, GError **error)
{
  OimaWorkers *w = workers;
  g_mutex_lock (&w->lock);
  /* A failure or cancellation ends the wait: queued tasks are skipped, and
   * the caller will not use the result. */
  while (!g_hash_table_contains (w->done, task) && w->error == NULL
         && !g_cancellable_is_cancelled (w->cancellable))
    g_cond_wait (&w->cond, &w->lock);
  g_hash_table_remove (w->done, task);
  GError *task_error = NULL;
  if (g_hash_table_steal_extended (w->task_errors, task, NULL, (gpointer *)&task_error))
    {
      g_propagate_error (error, task_error);
      g_mutex_unlock (&w->lock);
      return FALSE;
    }
  gboolean ok = wait_result (w, error);
  if (ok && g_cancellable_is_cancelled (w->cancellable))
    ok = !g_cancellable_set_error_if_cancelled (w->cancellable, error);
  g_mutex_unlock (&w->lock);
  return ok;
}

GCancellable *
oima_workers_get_cancellable (OimaWorkers *workers)
{
  return workers->cancellable;
}
