/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-tar-ahead.h"
#include "oima-tar-reader.h"
#include "oima-util.h"

struct _OimaTarAhead
{
  OimaSignQueue *queue;
  OimaHashAlgo algo;
  char *archive_path;
  const OimaPathFilter *select;
  GCancellable *cancellable;
  GThread *thread;
  guint n_signed; /* written by the thread, read after the join */
  char *error;
};

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
      guint8 digest[OIMA_MAX_DIGEST_SIZE];
      gsize len = 0;
      if (!oima_tar_reader_hash (reader, self->algo, digest, &len, self->cancellable, error))
        return FALSE;
      g_autoptr (GBytes) ima = oima_sign_queue_sign_digest (self->queue, path, digest, len, error);
      if (ima == NULL)
        return FALSE;
      self->n_signed++;
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
                      const OimaPathFilter *select)
{
  OimaTarAhead *self = g_new0 (OimaTarAhead, 1);
  self->queue = queue;
  self->algo = algo;
  self->archive_path = g_strdup (archive_path);
  self->select = select;
  self->cancellable = g_cancellable_new ();
  self->thread = g_thread_new ("oima-tar-ahead", thread_main, self);
  return self;
}

void
oima_tar_ahead_stop (OimaTarAhead *ahead)
{
  if (ahead->thread == NULL)
    return;
  g_cancellable_cancel (ahead->cancellable);
  g_thread_join (g_steal_pointer (&ahead->thread));
}

void
oima_tar_ahead_free (OimaTarAhead *ahead)
{
  oima_tar_ahead_stop (ahead);
  g_clear_object (&ahead->cancellable);
  g_free (ahead->archive_path);
  g_free (ahead->error);
  g_free (ahead);
}

guint
oima_tar_ahead_get_n_signed (OimaTarAhead *ahead)
{
  return ahead->n_signed;
}

const char *
oima_tar_ahead_get_error (OimaTarAhead *ahead)
{
  return ahead->error;
}
