/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oima-digest-signer.h"
#include "oima-sign-queue.h"
#include "oima-util.h"

typedef enum { SOURCE_PATH, SOURCE_FD, SOURCE_OBJECT } SourceKind;

typedef struct {
  char *id;
  SourceKind kind;
  int dfd;
  char *relpath;
  int fd;
  OstreeRepo *repo;
  char *checksum;
  /* result, under the queue lock */
  gboolean done;
  GBytes *ima;
  GError *error;
} Request;

struct _OimaSignQueue {
  OimaDigestSigner *signer;
  OimaHashAlgo algo;
  GThreadPool *pool;
  GMutex lock;
  GCond cond;
  GHashTable *requests; /* id -> Request (owned) */
};

static void
request_free (Request *r)
{
  g_free (r->id);
  g_free (r->relpath);
  if (r->fd >= 0)
    close (r->fd);
  g_clear_object (&r->repo);
  g_free (r->checksum);
  g_clear_pointer (&r->ima, g_bytes_unref);
  g_clear_error (&r->error);
  g_free (r);
}

static GBytes *
run_request (OimaSignQueue *q, Request *r, GError **error)
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  switch (r->kind)
    {
    case SOURCE_PATH:
      {
        /* O_NONBLOCK: a FIFO must not block a worker forever. */
        int fd = openat (r->dfd, r->relpath,
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
          return oima_throw_errno (error, r->relpath), NULL;
        struct stat st;
        if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
          {
            close (fd);
            return oima_null_throw (error, "%s: not a regular file", r->relpath);
          }
        gboolean ok = oima_hash_fd (q->algo, fd, digest, &len, NULL, error);
        close (fd);
        if (!ok)
          return NULL;
        break;
      }
    case SOURCE_FD:
      if (!oima_hash_fd (q->algo, r->fd, digest, &len, NULL, error))
        return NULL;
      break;
    case SOURCE_OBJECT:
      {
        g_autoptr (GInputStream) in = NULL;
        if (!ostree_repo_load_file (r->repo, r->checksum, &in, NULL, NULL, NULL, error))
          return NULL;
        if (in == NULL)
          return oima_null_throw (error, "Object %s is not a regular file", r->checksum);
        if (!oima_hash_stream (q->algo, in, digest, &len, NULL, error))
          return NULL;
        break;
      }
    }
  return oima_digest_signer_sign (q->signer, digest, len, error);
}

static void
worker (gpointer data, gpointer user_data)
{
  Request *r = data;
  OimaSignQueue *q = user_data;
  GError *local_error = NULL;
  GBytes *ima = run_request (q, r, &local_error);
  g_mutex_lock (&q->lock);
  r->ima = ima;
  r->error = local_error;
  r->done = TRUE;
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
}

OimaSignQueue *
oima_sign_queue_new (OimaSigningKey *key, OimaHashAlgo algo, guint n_jobs, GError **error)
{
  OimaSignQueue *q = g_new0 (OimaSignQueue, 1);
  q->signer = oima_digest_signer_new (key, algo);
  q->algo = algo;
  g_mutex_init (&q->lock);
  g_cond_init (&q->cond);
  q->requests = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)request_free);
  q->pool = g_thread_pool_new (worker, q, n_jobs ? n_jobs : g_get_num_processors (), TRUE, error);
  if (q->pool == NULL)
    {
      oima_sign_queue_free (q);
      return NULL;
    }
  return q;
}

void
oima_sign_queue_free (OimaSignQueue *queue)
{
  /* Queued work nobody will take is dropped; running work finishes. */
  if (queue->pool)
    g_thread_pool_free (queue->pool, TRUE, TRUE);
  g_hash_table_unref (queue->requests);
  oima_digest_signer_free (queue->signer);
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->cond);
  g_free (queue);
}

static void
push (OimaSignQueue *q, Request *r)
{
  g_mutex_lock (&q->lock);
  if (g_hash_table_contains (q->requests, r->id))
    {
      g_mutex_unlock (&q->lock);
      request_free (r);
      return;
    }
  g_hash_table_insert (q->requests, r->id, r);
  g_mutex_unlock (&q->lock);
  /* Exclusive pools only fail to push when a thread cannot be created. */
  GError *local_error = NULL;
  if (!g_thread_pool_push (q->pool, r, &local_error))
    {
      g_mutex_lock (&q->lock);
      r->error = local_error;
      r->done = TRUE;
      g_mutex_unlock (&q->lock);
    }
}

static Request *
request_new (const char *id, SourceKind kind)
{
  Request *r = g_new0 (Request, 1);
  r->id = g_strdup (id);
  r->kind = kind;
  r->fd = -1;
  return r;
}

void
oima_sign_queue_push_path (OimaSignQueue *queue, const char *id, int dfd, const char *relpath)
{
  Request *r = request_new (id, SOURCE_PATH);
  r->dfd = dfd;
  r->relpath = g_strdup (relpath);
  push (queue, r);
}

void
oima_sign_queue_push_fd (OimaSignQueue *queue, const char *id, int fd)
{
  Request *r = request_new (id, SOURCE_FD);
  r->fd = fd;
  push (queue, r);
}

void
oima_sign_queue_push_object (OimaSignQueue *queue, const char *id, OstreeRepo *repo,
                             const char *checksum)
{
  Request *r = request_new (id, SOURCE_OBJECT);
  r->repo = g_object_ref (repo);
  r->checksum = g_strdup (checksum);
  push (queue, r);
}

gboolean
oima_sign_queue_contains (OimaSignQueue *queue, const char *id)
{
  g_mutex_lock (&queue->lock);
  gboolean ret = g_hash_table_contains (queue->requests, id);
  g_mutex_unlock (&queue->lock);
  return ret;
}

GBytes *
oima_sign_queue_take (OimaSignQueue *queue, const char *id, GCancellable *cancellable,
                      GError **error)
{
  g_mutex_lock (&queue->lock);
  Request *r = g_hash_table_lookup (queue->requests, id);
  if (r == NULL)
    {
      g_mutex_unlock (&queue->lock);
      return oima_null_throw (error, "%s was not queued for signing", id);
    }
  while (!r->done)
    {
      if (g_cancellable_is_cancelled (cancellable))
        break;
      gint64 deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
      g_cond_wait_until (&queue->cond, &queue->lock, deadline);
    }
  if (!r->done)
    {
      g_mutex_unlock (&queue->lock);
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return NULL;
    }
  g_hash_table_steal (queue->requests, id);
  g_mutex_unlock (&queue->lock);

  GBytes *ima = g_steal_pointer (&r->ima);
  if (ima == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&r->error));
      g_prefix_error (error, "Signing %s: ", id);
    }
  request_free (r);
  return ima;
}

GBytes *
oima_sign_queue_sign_stream (OimaSignQueue *queue, GInputStream *content,
                             GCancellable *cancellable, GError **error)
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_hash_stream (queue->algo, content, digest, &len, cancellable, error))
    return NULL;
  return oima_digest_signer_sign (queue->signer, digest, len, error);
}
