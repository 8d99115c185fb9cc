/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The worker engine: batches, waiting for single tasks, both failure
 * modes, cancellation.
 */

#include <string.h>

#include "oima-workers.h"
#include "oima-util.h"

typedef struct
{
  guint index;
  guint result;
} Task;

static gboolean
square (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Task *t = task;
  guint *fail_at = user_data;
  if (fail_at && t->index == *fail_at)
    return oima_throw (error, "task %u failed", t->index);
  g_usleep (t->index % 3 == 0 ? 2000 : 0);
  t->result = t->index * t->index;
  return TRUE;
}

/* Number @tasks 0..@n-1 and hand them to @w. */
static void
push_tasks (OimaWorkers *w, Task *tasks, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      tasks[i] = (Task){ i, 0 };
      oima_workers_push (w, &tasks[i]);
    }
}

static void
count_progress (guint64 n_done, guint64 n_pushed, gpointer user_data)
{
  g_assert_cmpuint (n_done, <=, n_pushed);
  (*(guint *)user_data)++;
}

static void
test_batch (void)
{
  g_autoptr (GError) error = NULL;
  Task tasks[200];
  g_autoptr (OimaWorkers) w
      = oima_workers_new (3, OIMA_WORKERS_FAIL_FAST, square, NULL, NULL, &error);
  g_assert_no_error (error);
  push_tasks (w, tasks, G_N_ELEMENTS (tasks));
  guint reports = 0;
  g_assert_true (oima_workers_wait_all (w, count_progress, &reports, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_assert_cmpuint (tasks[i].result, ==, i * i);
}

static void
test_wait_task (void)
{
  g_autoptr (GError) error = NULL;
  Task tasks[50];
  g_autoptr (OimaWorkers) w
      = oima_workers_new (2, OIMA_WORKERS_FAIL_FAST, square, NULL, NULL, &error);
  push_tasks (w, tasks, G_N_ELEMENTS (tasks));
  /* In reverse order: each is done when its wait returns. */
  for (guint i = G_N_ELEMENTS (tasks); i > 0; i--)
    {
      g_assert_true (oima_workers_wait_task (w, &tasks[i - 1], &error));
      g_assert_cmpuint (tasks[i - 1].result, ==, (i - 1) * (i - 1));
    }
}

static void
test_fail_fast (void)
{
  g_autoptr (GError) error = NULL;
  guint fail_at = 5;
  Task tasks[100];
  g_autoptr (OimaWorkers) w
      = oima_workers_new (2, OIMA_WORKERS_FAIL_FAST, square, &fail_at, NULL, &error);
  push_tasks (w, tasks, G_N_ELEMENTS (tasks));
  g_assert_false (oima_workers_wait_all (w, NULL, NULL, &error));
  g_assert_cmpstr (error->message, ==, "task 5 failed");
  g_assert_true (g_cancellable_is_cancelled (oima_workers_get_cancellable (w)));
  /* Later waits give the same error. */
  g_clear_error (&error);
  g_assert_false (oima_workers_wait_task (w, &tasks[0], &error));
  g_assert_cmpstr (error->message, ==, "task 5 failed");
}

static void
test_independent (void)
{
  g_autoptr (GError) error = NULL;
  guint fail_at = 3;
  Task tasks[10];
  g_autoptr (OimaWorkers) w
      = oima_workers_new (2, OIMA_WORKERS_INDEPENDENT, square, &fail_at, NULL, &error);
  push_tasks (w, tasks, G_N_ELEMENTS (tasks));
  g_assert_false (oima_workers_wait_task (w, &tasks[3], &error));
  g_assert_cmpstr (error->message, ==, "task 3 failed");
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    if (i != 3)
      {
        g_assert_true (oima_workers_wait_task (w, &tasks[i], &error));
        g_assert_cmpuint (tasks[i].result, ==, i * i);
      }
}

/* Detached tasks: run (or skipped), then freed by the engine; their
 * failures fail nothing, and the waits do not count them. */
typedef struct
{
  Task task; /* first: square() sees a Task */
  gint *destroyed;
  guint *results_sum;
} DetachedTask;

static void
detached_task_free (gpointer p)
{
  DetachedTask *d = p;
  g_atomic_int_add ((gint *)d->results_sum, (gint)d->task.result);
  g_atomic_int_inc (d->destroyed);
  g_free (d);
}

static void
test_detached (void)
{
  g_autoptr (GError) error = NULL;
  guint fail_at = 7;
  gint destroyed = 0;
  guint results_sum = 0;
  Task tasks[20];
  OimaWorkers *w = oima_workers_new (2, OIMA_WORKERS_FAIL_FAST, square, &fail_at, NULL, &error);
  const guint n_detached = 10;
  guint expected_sum = 0;
  for (guint i = 0; i < n_detached; i++)
    {
      DetachedTask *d = g_new0 (DetachedTask, 1);
      d->task.index = i;
      d->destroyed = &destroyed;
      d->results_sum = &results_sum;
      if (i != fail_at)
        expected_sum += i * i;
      oima_workers_push_detached (w, d, detached_task_free);
    }
  /* Regular tasks (none fails: fail_at is below their indexes) after
   * them: the batch succeeds although detached task 7 failed. */
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      tasks[i] = (Task){ 100 + i, 0 };
      oima_workers_push (w, &tasks[i]);
    }
  g_assert_true (oima_workers_wait_all (w, NULL, NULL, &error));
  g_assert_no_error (error);
  oima_workers_free (w);
  g_assert_cmpint (destroyed, ==, (gint)n_detached);
  g_assert_cmpuint (results_sum, ==, expected_sum);

  /* Queued when the engine goes: skipped, still freed. */
  destroyed = 0;
  w = oima_workers_new (1, OIMA_WORKERS_FAIL_FAST, square, NULL, NULL, &error);
  for (guint i = 0; i < 100; i++)
    {
      DetachedTask *d = g_new0 (DetachedTask, 1);
      d->task.index = i;
      d->destroyed = &destroyed;
      d->results_sum = &results_sum;
      oima_workers_push_detached (w, d, detached_task_free);
    }
  oima_workers_free (w);
  g_assert_cmpint (destroyed, ==, 100);
}

static void
test_cancelled (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Task tasks[20];
  g_autoptr (OimaWorkers) w
      = oima_workers_new (1, OIMA_WORKERS_FAIL_FAST, square, NULL, cancellable, &error);
  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      tasks[i] = (Task){ i + 1, 0 };
      oima_workers_push (w, &tasks[i]);
    }
  g_assert_false (oima_workers_wait_all (w, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Nothing ran after the cancellation. */
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_assert_cmpuint (tasks[i].result, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/workers/batch", test_batch);
  g_test_add_func ("/workers/wait-task", test_wait_task);
  g_test_add_func ("/workers/fail-fast", test_fail_fast);
  g_test_add_func ("/workers/independent", test_independent);
  g_test_add_func ("/workers/cancelled", test_cancelled);
  g_test_add_func ("/workers/detached", test_detached);
  return g_test_run ();
}
