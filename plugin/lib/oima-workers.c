/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <openssl/crypto.h>

#include "oima-workers.h"

#define PROGRESS_INTERVAL (250 * G_TIME_SPAN_MILLISECOND)

struct _OimaWorkers
{
  OimaWorkersFlags flags;
  OimaWorkFunc func;
  gpointer user_data;
  GAsyncQueue *queue;        /* tasks, then one stop marker per thread */
  GPtrArray *threads;        /* GThread, joined by oima_workers_free */
  GCancellable *cancellable; /* internal */
  GCancellable *caller_cancellable;
  gulong caller_handler;
  gulong wake_handler;

  GMutex lock; /* protects everything below */
  GCond cond;
  guint64 n_pushed;
  guint64 n_done;
  guint n_waiting_all;     /* threads in wait_all: woken when all are done */
  guint n_waiting_task;    /* threads in wait_task: woken by every task done */
  GHashTable *done;        /* tasks done and not yet waited for by wait_task */
  GError *error;           /* the first failure */
  GHashTable *task_errors; /* INDEPENDENT: task -> GError */
  GHashTable *detached;    /* queued detached task -> GDestroyNotify */
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

/* A detached task: run, then freed, its error dropped; nobody waits. */
static void
run_detached (gpointer task, GDestroyNotify destroy, OimaWorkers *w)
{
  g_autoptr (GError) local_error = NULL;
  if (!g_cancellable_is_cancelled (w->cancellable))
    (void)w->func (task, w->user_data, w->cancellable, &local_error);
  destroy (task);
}

static void
run_task (gpointer task, OimaWorkers *w)
{
  g_mutex_lock (&w->lock);
  GDestroyNotify destroy = NULL;
  gboolean detached = g_hash_table_steal_extended (w->detached, task, NULL, (gpointer *)&destroy);
  g_mutex_unlock (&w->lock);
  if (detached)
    {
      run_detached (task, destroy, w);
      return;
    }

  GError *local_error = NULL;
  if (!g_cancellable_is_cancelled (w->cancellable)
      && !w->func (task, w->user_data, w->cancellable, &local_error))
    record_failure (w, task, local_error);

  g_mutex_lock (&w->lock);
  w->n_done++;
  g_hash_table_add (w->done, task);
  /* Only wake whom this task concerns: waking wait_all on every task was
   * a context switch a file, on cores the workers need. */
  if (w->n_waiting_task > 0 || (w->n_waiting_all > 0 && w->n_done == w->n_pushed))
    g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

/* Pushed once per thread to make it return; never a caller's task. */
static const char stop_marker;
#define STOP_MARKER ((gpointer)&stop_marker)

static gpointer
worker_main (gpointer data)
{
  OimaWorkers *w = data;
  for (;;)
    {
      gpointer task = g_async_queue_pop (w->queue);
      if (task == STOP_MARKER)
        break;
      run_task (task, w);
    }
  /* OpenSSL keeps per-thread state (its DRBGs, the error queue): free it
   * now, while the thread is known to end, not in a race with exit(). */
  OPENSSL_thread_stop ();
  return NULL;
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
  w->detached = g_hash_table_new (NULL, NULL);
  w->cancellable = g_cancellable_new ();
  w->wake_handler = g_signal_connect (w->cancellable, "cancelled", G_CALLBACK (wake_waiters), w);
  if (cancellable)
    {
      w->caller_cancellable = g_object_ref (cancellable);
      w->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel),
                                                 g_object_ref (w->cancellable), g_object_unref);
    }
  w->queue = g_async_queue_new ();
  w->threads = g_ptr_array_new ();
  guint n = n_jobs ? n_jobs : g_get_num_processors ();
  for (guint i = 0; i < n; i++)
    {
      GThread *thread = g_thread_try_new ("oima-worker", worker_main, w, error);
      if (thread == NULL)
        {
          oima_workers_free (w);
          return NULL;
        }
      g_ptr_array_add (w->threads, thread);
    }
  return w;
}

void
oima_workers_free (OimaWorkers *workers)
{
  /* Queued tasks are skipped (cancelled); running ones finish first. */
  g_cancellable_cancel (workers->cancellable);
  if (workers->threads)
    {
      for (guint i = 0; i < workers->threads->len; i++)
        g_async_queue_push (workers->queue, STOP_MARKER);
      for (guint i = 0; i < workers->threads->len; i++)
        g_thread_join (workers->threads->pdata[i]);
      g_ptr_array_unref (workers->threads);
    }
  if (workers->queue)
    g_async_queue_unref (workers->queue);
  if (workers->caller_cancellable)
    {
      g_cancellable_disconnect (workers->caller_cancellable, workers->caller_handler);
      g_object_unref (workers->caller_cancellable);
    }
  g_signal_handler_disconnect (workers->cancellable, workers->wake_handler);
  g_object_unref (workers->cancellable);
  g_hash_table_unref (workers->done);
  g_hash_table_unref (workers->detached); /* empty: every task ran or was skipped */
  g_hash_table_unref (workers->task_errors);
  g_clear_error (&workers->error);
  g_mutex_clear (&workers->lock);
  g_cond_clear (&workers->cond);
  g_free (workers);
}

void
oima_workers_push (OimaWorkers *workers, gpointer task)
{
  g_return_if_fail (task != NULL && task != STOP_MARKER);
  g_mutex_lock (&workers->lock);
  workers->n_pushed++;
  g_mutex_unlock (&workers->lock);
  g_async_queue_push (workers->queue, task);
}

void
oima_workers_push_detached (OimaWorkers *workers, gpointer task, GDestroyNotify destroy)
{
  g_return_if_fail (task != NULL && task != STOP_MARKER && destroy != NULL);
  g_mutex_lock (&workers->lock);
  g_hash_table_insert (workers->detached, task, destroy);
  g_mutex_unlock (&workers->lock);
  g_async_queue_push (workers->queue, task);
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
  w->n_waiting_all++;
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
  w->n_waiting_all--;
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
  w->n_waiting_task++;
  while (!g_hash_table_contains (w->done, task) && w->error == NULL
         && !g_cancellable_is_cancelled (w->cancellable))
    g_cond_wait (&w->cond, &w->lock);
  w->n_waiting_task--;
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
