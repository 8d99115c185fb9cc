/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-digest-signer.h"
#include "oima-tar-ahead.h"
#include "oima-tar-reader.h"
#include "oima-util.h"

/* Files the thread may sign before the importer takes them: well inside
 * the digest signer's memory of recent signatures, or the importer would
 * find them forgotten and sign again (and memory would grow with it). */
#define WINDOW (OIMA_DIGEST_SIGNER_MEMO_SIZE / 4)

struct _OimaTarAhead
{
  OimaSignQueue *queue;
  OimaHashAlgo algo;
  char *archive_path;
  const OimaPathFilter *select;
  OimaTarAheadFlags flags;
  GCancellable *cancellable;
  GThread *thread;
  char *error;

  GMutex lock; /* protects what follows */
  GCond cond;
  guint n_hashed; /* by the thread */
  guint n_taken;  /* by the importer */
};

/* Wait until the importer is less than WINDOW files behind, or stop. */
static gboolean
wait_for_importer (OimaTarAhead *self, GError **error)
{
  g_mutex_lock (&self->lock);
  while (self->n_hashed >= self->n_taken + WINDOW
         && !g_cancellable_is_cancelled (self->cancellable))
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return !g_cancellable_set_error_if_cancelled (self->cancellable, error);
}

/* "/" + the path as ostree's tar import makes it relative. */
static char *
commit_path (const char *path)
{
  while (TRUE)
    {
      if (path[0] == '/')
        path++;
      else if (path[0] == '.' && path[1] == '/')
        path += 2;
      else
        break;
    }
  return g_strconcat ("/", path, NULL);
}

static gboolean
read_ahead (OimaTarAhead *self, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (self->archive_path);
  g_autoptr (GFileInputStream) in = g_file_read (file, self->cancellable, error);
  if (in == NULL)
    return FALSE;
  g_autoptr (OimaTarReader) reader = oima_tar_reader_new (G_INPUT_STREAM (in), error);
  if (reader == NULL)
    return FALSE;
  while (TRUE)
    {
      OimaTarEntry e;
      if (!oima_tar_reader_next (reader, &e, self->cancellable, error))
        return FALSE;
      if (e.path == NULL)
        return TRUE;
      if (e.type != OIMA_TAR_REGULAR)
        continue;
      g_autofree char *path = commit_path (e.path);
      if (self->select && !oima_path_filter_matches (self->select, path))
        continue;
      if (!wait_for_importer (self, error))
        return FALSE;
      guint8 digest[OIMA_MAX_DIGEST_SIZE];
      gsize len = 0;
      if (!oima_tar_reader_hash (reader, self->algo, digest, &len, self->cancellable, error))
        return FALSE;
      if (self->flags & OIMA_TAR_AHEAD_SIGN_ON_WORKERS)
        oima_sign_queue_push_digest (self->queue, path, digest, len);
      else
        {
          g_autoptr (GBytes) ima
              = oima_sign_queue_sign_digest (self->queue, path, digest, len, error);
          if (ima == NULL)
            return FALSE;
        }
      g_mutex_lock (&self->lock);
      self->n_hashed++;
      g_mutex_unlock (&self->lock);
    }
}

static gpointer
thread_main (gpointer data)
{
  OimaTarAhead *self = data;
  g_autoptr (GError) error = NULL;
  if (!read_ahead (self, &error) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->error = g_strdup (error->message);
  return NULL;
}

OimaTarAhead *
oima_tar_ahead_start (OimaSignQueue *queue, OimaHashAlgo algo, const char *archive_path,
                      const OimaPathFilter *select, OimaTarAheadFlags flags)
{
  OimaTarAhead *self = g_new0 (OimaTarAhead, 1);
  self->queue = queue;
  self->algo = algo;
  self->archive_path = g_strdup (archive_path);
  self->select = select;
  self->flags = flags;
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_new ("oima-tar-ahead", thread_main, self);
  return self;
}

void
oima_tar_ahead_stop (OimaTarAhead *ahead)
{
  if (ahead->thread == NULL)
    return;
  g_cancellable_cancel (ahead->cancellable);
  g_mutex_lock (&ahead->lock);
  g_cond_broadcast (&ahead->cond);
  g_mutex_unlock (&ahead->lock);
  g_thread_join (g_steal_pointer (&ahead->thread));
}

void
oima_tar_ahead_free (OimaTarAhead *ahead)
{
  oima_tar_ahead_stop (ahead);
  g_clear_object (&ahead->cancellable);
  g_free (ahead->archive_path);
  g_free (ahead->error);
  g_mutex_clear (&ahead->lock);
  g_cond_clear (&ahead->cond);
  g_free (ahead);
}

void
oima_tar_ahead_taken (OimaTarAhead *ahead)
{
  g_mutex_lock (&ahead->lock);
  ahead->n_taken++;
  g_cond_signal (&ahead->cond);
  g_mutex_unlock (&ahead->lock);
}

guint
oima_tar_ahead_get_n_hashed (OimaTarAhead *ahead)
{
  g_mutex_lock (&ahead->lock);
  guint n = ahead->n_hashed;
  g_mutex_unlock (&ahead->lock);
  return n;
}

const char *
oima_tar_ahead_get_error (OimaTarAhead *ahead)
{
  return ahead->error;
}
