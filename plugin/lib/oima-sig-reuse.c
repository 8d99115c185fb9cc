/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-sig-reuse.h"
#include "oima-tree-walk.h"
#include "oima-xattrs.h"

struct _OimaSigReuse
{
  OimaSigningKey *key;
  OimaHashAlgo algo;
  GHashTable *by_path; /* path -> GBytes security.ima; read-only once shared */
  gint n_reused;       /* atomic */
};

typedef struct
{
  OimaSigReuse *reuse;
  OstreeRepo *repo;
  GCancellable *cancellable;
} AddWalk;

OimaSigReuse *
oima_sig_reuse_new (OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaSigReuse *self = g_new0 (OimaSigReuse, 1);
  self->key = oima_signing_key_ref (key);
  self->algo = algo;
  self->by_path
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  return self;
}

void
oima_sig_reuse_free (OimaSigReuse *reuse)
{
  oima_signing_key_unref (reuse->key);
  g_hash_table_unref (reuse->by_path);
  g_free (reuse);
}

/* Only values this key could have made are worth keeping. */
static gboolean
is_candidate (OimaSigReuse *reuse, GBytes *ima)
{
  OimaXattrValue v;
  return oima_xattr_decode_bytes (ima, &v, NULL) && v.type == OIMA_XATTR_TYPE_DIGSIG
         && v.version == 2 && v.algo == reuse->algo
         && v.keyid == oima_signing_key_get_keyid (reuse->key);
}

static gboolean
add_file (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  AddWalk *w = user_data;
  g_autoptr (GVariant) xattrs = NULL;
  g_autoptr (GFileInfo) info = NULL;
  if (!ostree_repo_load_file (w->repo, checksum, NULL, &info, &xattrs, w->cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return TRUE;
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (ima && is_candidate (w->reuse, ima))
    g_hash_table_replace (w->reuse->by_path, g_strdup (path), g_steal_pointer (&ima));
  return TRUE;
}

gboolean
oima_sig_reuse_add_commit (OimaSigReuse *reuse, OstreeRepo *repo, const char *rev,
                           GCancellable *cancellable, GError **error)
{
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, rev, NULL, NULL, &root_tree, error))
    return FALSE;
  AddWalk w = { reuse, repo, cancellable };
  return oima_tree_walk (repo, root_tree, add_file, &w, cancellable, error);
}

GBytes *
oima_sig_reuse_find (OimaSigReuse *reuse, const char *path, const guint8 *digest, gsize digest_len)
{
  if (reuse == NULL || path == NULL)
    return NULL;
  GBytes *ima = g_hash_table_lookup (reuse->by_path, path);
  if (ima == NULL
      || !oima_signing_key_made (reuse->key, ima, OIMA_XATTR_TYPE_DIGSIG, reuse->algo, digest,
                                 digest_len))
    return NULL;
  g_atomic_int_inc (&reuse->n_reused);
  return g_bytes_ref (ima);
}

guint
oima_sig_reuse_get_n_reused (OimaSigReuse *reuse)
{
  return reuse ? (guint)g_atomic_int_get (&reuse->n_reused) : 0;
}
