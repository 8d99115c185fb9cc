/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oima-digest-signer.h"
#include "oima-disk.h"
#include "oima-sign-queue.h"
#include "oima-util.h"
#include "oima-workers.h"

typedef enum
{
  SOURCE_PATH,
  SOURCE_FD,
  SOURCE_OBJECT,
  SOURCE_DIGEST /* hashed already: sign into the cache, nobody takes it */
} SourceKind;

typedef struct
{
  char *id;
  char *path; /* in the commit, for reuse; may be NULL */
  SourceKind kind;
  int dfd;
  char *relpath;
  int fd;
  OstreeRepo *repo;
  char *checksum;
  guint8 digest[OIMA_MAX_DIGEST_SIZE]; /* given (SOURCE_DIGEST) or computed */
  gsize digest_len;
  GBytes *ima; /* the result, once the workers report the request done */
} Request;

struct _OimaSignQueue
{
  OimaDigestSigner *signer;
  OimaHashAlgo algo;
  OimaWorkers *workers;
  GMutex lock;
  GHashTable *requests; /* id -> Request (owned), under lock */
};

static void
request_free (Request *r)
{
  g_free (r->id);
  g_free (r->path);
  g_free (r->relpath);
  if (r->fd >= 0)
    close (r->fd);
  g_clear_object (&r->repo);
  g_free (r->checksum);
  g_clear_pointer (&r->ima, g_bytes_unref);
  g_free (r);
}

static gboolean
hash_request (OimaSignQueue *q, Request *r, guint8 *digest, gsize *len, GCancellable *cancellable,
              GError **error)
{
  switch (r->kind)
    {
    case SOURCE_PATH:
      {
        oima_autofd int fd = -1;
        if (!oima_disk_open_regular (r->dfd, r->relpath, &fd, error))
          return FALSE;
        return oima_hash_fd (q->algo, fd, digest, len, cancellable, error);
      }
    case SOURCE_FD:
      return oima_hash_fd (q->algo, r->fd, digest, len, cancellable, error);
    case SOURCE_OBJECT:
      {
        g_autoptr (GInputStream) in = NULL;
        if (!ostree_repo_load_file (r->repo, r->checksum, &in, NULL, NULL, cancellable, error))
          return FALSE;
        if (in == NULL)
          return oima_throw (error, "Object %s is not a regular file", r->checksum);
        return oima_hash_stream (q->algo, in, digest, len, cancellable, error);
      }
    case SOURCE_DIGEST:
      memcpy (digest, r->digest, r->digest_len);
      *len = r->digest_len;
      return TRUE;
    }
  g_assert_not_reached ();
}

static gboolean
sign_request (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Request *r = task;
  OimaSignQueue *q = user_data;
  if (hash_request (q, r, r->digest, &r->digest_len, cancellable, error))
    r->ima = oima_digest_signer_sign (q->signer, r->path, r->checksum, r->digest, r->digest_len,
                                      error);
  if (r->ima == NULL)
    {
      g_prefix_error (error, "Signing %s: ", r->id);
      return FALSE;
    }
  return TRUE;
}

OimaSignQueue *
oima_sign_queue_new (OimaSigningKey *key, OimaHashAlgo algo, guint n_jobs, GError **error)
{
  OimaSignQueue *q = g_new0 (OimaSignQueue, 1);
  q->signer = oima_digest_signer_new (key, algo);
  q->algo = algo;
  g_mutex_init (&q->lock);
  q->requests = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)request_free);
  q->workers = oima_workers_new (n_jobs, OIMA_WORKERS_INDEPENDENT, sign_request, q, NULL, error);
  if (q->workers == NULL)
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
  g_clear_pointer (&queue->workers, oima_workers_free);
  g_hash_table_unref (queue->requests);
  oima_digest_signer_free (queue->signer);
  g_mutex_clear (&queue->lock);
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
  oima_workers_push (q->workers, r);
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
oima_sign_queue_set_hash_only (OimaSignQueue *queue, const OimaPathFilter *hash_only)
{
  oima_digest_signer_set_hash_only (queue->signer, hash_only);
}

void
oima_sign_queue_set_reuse (OimaSignQueue *queue, OimaSigReuse *reuse)
{
  oima_digest_signer_set_reuse (queue->signer, reuse);
}

void
oima_sign_queue_push_path (OimaSignQueue *queue, const char *id, const char *path, int dfd,
                           const char *relpath)
{
  Request *r = request_new (id, SOURCE_PATH);
  r->path = g_strdup (path);
  r->dfd = dfd;
  r->relpath = g_strdup (relpath);
  push (queue, r);
}

void
oima_sign_queue_push_digest (OimaSignQueue *queue, const char *path, const guint8 *digest,
                             gsize len)
{
  g_return_if_fail (len <= OIMA_MAX_DIGEST_SIZE);
  Request *r = request_new ("digest", SOURCE_DIGEST);
  r->path = g_strdup (path);
  memcpy (r->digest, digest, len);
  r->digest_len = len;
  oima_workers_push_detached (queue->workers, r, (GDestroyNotify)request_free);
}

void
oima_sign_queue_push_fd (OimaSignQueue *queue, const char *id, int fd)
{
  Request *r = request_new (id, SOURCE_FD);
  r->fd = fd;
  push (queue, r);
}

void
oima_sign_queue_push_object (OimaSignQueue *queue, const char *id, const char *path,
                             OstreeRepo *repo, const char *checksum)
{
  Request *r = request_new (id, SOURCE_OBJECT);
  r->path = g_strdup (path);
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
  return oima_sign_queue_take_with_digest (queue, id, NULL, NULL, cancellable, error);
}

GBytes *
oima_sign_queue_take_with_digest (OimaSignQueue *queue, const char *id, guint8 *out_digest,
                                  gsize *out_len, GCancellable *cancellable, GError **error)
{
  g_mutex_lock (&queue->lock);
  Request *r = g_hash_table_lookup (queue->requests, id);
  g_mutex_unlock (&queue->lock);
  if (r == NULL)
    return oima_null_throw (error, "%s was not queued for signing", id);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!oima_workers_wait_task (queue->workers, r, error))
    return NULL;
  g_mutex_lock (&queue->lock);
  g_hash_table_steal (queue->requests, id);
  g_mutex_unlock (&queue->lock);
  GBytes *ima = g_steal_pointer (&r->ima);
  if (out_digest)
    {
      memcpy (out_digest, r->digest, r->digest_len);
      *out_len = r->digest_len;
    }
  request_free (r);
  return ima;
}

GBytes *
oima_sign_queue_sign_stream (OimaSignQueue *queue, const char *path, GInputStream *content,
                             GCancellable *cancellable, GError **error)
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_hash_stream (queue->algo, content, digest, &len, cancellable, error))
    return NULL;
  return oima_sign_queue_sign_digest (queue, path, digest, len, error);
}

GBytes *
oima_sign_queue_sign_digest (OimaSignQueue *queue, const char *path, const guint8 *digest,
                             gsize len, GError **error)
{
  return oima_digest_signer_sign (queue->signer, path, NULL, digest, len, error);
}

guint
oima_sign_queue_get_n_signed (OimaSignQueue *queue)
{
  return oima_digest_signer_get_n_signed (queue->signer);
}
