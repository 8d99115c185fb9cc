/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-repo-fsck.h"
#include "oima-util.h"
#include "oima-workers.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

typedef struct
{
  char *checksum;
  OstreeObjectType objtype;
  char *corrupt;
  gboolean evm_ignored;
  gboolean has_verdict;
  OimaVerifyStatus status;
  char *detail;
} Check;

typedef struct
{
  OstreeRepo *repo;
  const OimaRepoFsckOptions *options;
} Fsck;

static void
check_free (Check *c)
{
  g_free (c->checksum);
  g_free (c->corrupt);
  g_free (c->detail);
  g_free (c);
}

gboolean
oima_evm_is_inode_bound (GBytes *value)
{
  if (value == NULL || g_bytes_get_size (value) == 0)
    return FALSE;
  guint8 type = ((const guint8 *)g_bytes_get_data (value, NULL))[0];
  return type == OIMA_XATTR_TYPE_EVM_HMAC || type == OIMA_XATTR_TYPE_DIGSIG;
}

/* Metadata objects: ostree's own check (they carry no xattrs). */
static gboolean
check_metadata (Fsck *f, Check *c, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  if (!ostree_repo_fsck_object (f->repo, c->objtype, c->checksum, cancellable, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      c->corrupt = g_strdup (local_error->message);
    }
  return TRUE;
}

static gboolean
check_content (Fsck *f, Check *c, GCancellable *cancellable, GError **error)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (f->repo, c->checksum, &in, &info, &xattrs, cancellable, error))
    return FALSE;
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  g_autoptr (GVariant) identity = NULL;
  if (oima_evm_is_inode_bound (evm))
    {
      /* The rest of the list as ostree wrote it, only that value removed. */
      identity = oima_xattrs_filter_out (xattrs, OIMA_XATTR_EVM);
      c->evm_ignored = TRUE;
    }
  else
    identity = xattrs ? g_variant_ref (xattrs) : NULL;

  gboolean regular = g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR;
  g_autoptr (GBytes) ima = regular ? oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA) : NULL;
  /* One pass over the content: hashed for the object checksum; the IMA
   * digest needs a second pass, on the object loaded again. */
  g_autofree guchar *csum = NULL;
  if (!ostree_checksum_file_from_input (info, identity, in, OSTREE_OBJECT_TYPE_FILE, &csum,
                                        cancellable, error))
    return FALSE;
  g_autofree char *actual = ostree_checksum_from_bytes (csum);
  if (strcmp (actual, c->checksum) != 0)
    c->corrupt = g_strdup_printf ("checksum of content and metadata is %s", actual);

  if (!regular || f->options->trust == NULL)
    return TRUE;
  g_autoptr (GInputStream) again = NULL;
  if (!ostree_repo_load_file (f->repo, c->checksum, &again, NULL, NULL, cancellable, error))
    return FALSE;
  c->has_verdict = TRUE;
  return oima_trust_verify_ima (f->options->trust, ima, again, &c->status, &c->detail, cancellable,
                                error);
}

static gboolean
check_object (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Check *c = task;
  Fsck *f = user_data;
  gboolean ok = c->objtype == OSTREE_OBJECT_TYPE_FILE ? check_content (f, c, cancellable, error)
                                                      : check_metadata (f, c, cancellable, error);
  if (!ok)
    g_prefix_error (error, "Object %s.%s: ", c->checksum,
                    ostree_object_type_to_string (c->objtype));
  return ok;
}

static gint
check_cmp (gconstpointer a, gconstpointer b)
{
  const Check *ca = *(Check *const *)a, *cb = *(Check *const *)b;
  int r = strcmp (ca->checksum, cb->checksum);
  return r ? r : (int)ca->objtype - (int)cb->objtype;
}

static void
report (Fsck *f, GPtrArray *checks, OimaRepoFsckStats *stats)
{
  g_ptr_array_sort (checks, check_cmp);
  for (guint i = 0; i < checks->len; i++)
    {
      Check *c = checks->pdata[i];
      stats->n_objects++;
      stats->n_content += c->objtype == OSTREE_OBJECT_TYPE_FILE;
      stats->n_corrupt += c->corrupt != NULL;
      stats->n_evm_ignored += c->evm_ignored;
      if (c->has_verdict)
        oima_verdict_counts_add (&stats->verdicts, c->status);
      if (f->options->func)
        {
          OimaObjectCheck check = { c->checksum,    c->objtype, c->corrupt, c->evm_ignored,
                                    c->has_verdict, c->status,  c->detail };
          f->options->func (&check, f->options->user_data);
        }
    }
}

gboolean
oima_repo_fsck (OstreeRepo *repo, const OimaRepoFsckOptions *options, OimaRepoFsckStats *out_stats,
                GCancellable *cancellable, GError **error)
{
  g_autoptr (GHashTable) objects = NULL;
  if (!ostree_repo_list_objects (repo, OSTREE_REPO_LIST_OBJECTS_ALL, &objects, cancellable, error))
    return FALSE;
  Fsck f = { repo, options };
  g_autoptr (GPtrArray) checks = g_ptr_array_new_with_free_func ((GDestroyNotify)check_free);
  g_autoptr (OimaWorkers) workers = oima_workers_new (options->n_jobs, OIMA_WORKERS_FAIL_FAST,
                                                      check_object, &f, cancellable, error);
  if (workers == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, objects);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      const char *checksum;
      OstreeObjectType objtype;
      ostree_object_name_deserialize (key, &checksum, &objtype);
      if (objtype == OSTREE_OBJECT_TYPE_COMMIT_META
          || objtype == OSTREE_OBJECT_TYPE_TOMBSTONE_COMMIT
          || objtype == OSTREE_OBJECT_TYPE_PAYLOAD_LINK || objtype == OSTREE_OBJECT_TYPE_FILE_XATTRS
          || objtype == OSTREE_OBJECT_TYPE_FILE_XATTRS_LINK)
        continue; /* no checksum of their own to check */
      Check *c = g_new0 (Check, 1);
      c->checksum = g_strdup (checksum);
      c->objtype = objtype;
      g_ptr_array_add (checks, c);
      oima_workers_push (workers, c);
    }
  if (!oima_workers_wait_all (workers, NULL, NULL, error))
    return FALSE;
  OimaRepoFsckStats stats = { 0 };
  report (&f, checks, &stats);
  if (out_stats)
    *out_stats = stats;
  return TRUE;
}
