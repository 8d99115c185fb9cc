/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-tree-walk.h"
#include "oima-util.h"

char *
oima_tree_child_path (const char *dir, const char *name)
{
  return g_str_equal (dir, "/") ? g_strconcat ("/", name, NULL)
                                : g_strconcat (dir, "/", name, NULL);
}

void
oima_dirtree_entry_get (GVariant *list, gsize i, const char *dir, OimaDirtreeEntry *out)
{
  *out = (OimaDirtreeEntry){ 0 };
  if (g_variant_is_of_type (list, G_VARIANT_TYPE ("a(say)")))
    g_variant_get_child (list, i, "(&s@ay)", &out->name, &out->checksum_v);
  else
    g_variant_get_child (list, i, "(&s@ay@ay)", &out->name, &out->checksum_v, &out->meta_v);
  out->path = oima_tree_child_path (dir, out->name);
  out->checksum = ostree_checksum_from_bytes_v (out->checksum_v);
}

void
oima_dirtree_entry_clear (OimaDirtreeEntry *entry)
{
  g_clear_pointer (&entry->path, g_free);
  g_clear_pointer (&entry->checksum, g_free);
  g_clear_pointer (&entry->checksum_v, g_variant_unref);
  g_clear_pointer (&entry->meta_v, g_variant_unref);
}

static gboolean
walk_dir (OstreeRepo *repo, const char *dirtree_checksum, const char *path,
          OimaTreeWalkFileFunc func, gpointer user_data, GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_autoptr (GVariant) tree = NULL;
  if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_DIR_TREE, dirtree_checksum, &tree, error))
    return FALSE;
  g_autoptr (GVariant) files = g_variant_get_child_value (tree, 0);
  g_autoptr (GVariant) dirs = g_variant_get_child_value (tree, 1);

  gsize n = g_variant_n_children (files);
  for (gsize i = 0; i < n; i++)
    {
      g_auto (OimaDirtreeEntry) e = { 0 };
      oima_dirtree_entry_get (files, i, path, &e);
      if (!func (e.path, e.checksum, user_data, error))
        return FALSE;
    }
  n = g_variant_n_children (dirs);
  for (gsize i = 0; i < n; i++)
    {
      g_auto (OimaDirtreeEntry) e = { 0 };
      oima_dirtree_entry_get (dirs, i, path, &e);
      if (!walk_dir (repo, e.checksum, e.path, func, user_data, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
oima_tree_walk (OstreeRepo *repo, const char *dirtree_checksum, OimaTreeWalkFileFunc func,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  return walk_dir (repo, dirtree_checksum, "/", func, user_data, cancellable, error);
}

gboolean
oima_resolve_commit (OstreeRepo *repo, const char *rev, char **out_commit,
                     GVariant **out_commit_variant, char **out_root_tree, GError **error)
{
  g_autofree char *commit = NULL;
  if (!ostree_repo_resolve_rev (repo, rev, FALSE, &commit, error))
    return FALSE;
  g_autoptr (GVariant) commit_v = NULL;
  OstreeRepoCommitState state = 0;
  if (!ostree_repo_load_commit (repo, commit, &commit_v, &state, error))
    return FALSE;
  if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL)
    return oima_throw (error, "Commit %s is partial: pull it completely first", commit);
  if (out_root_tree)
    {
      g_autoptr (GVariant) root_v = g_variant_get_child_value (commit_v, 6);
      *out_root_tree = ostree_checksum_from_bytes_v (root_v);
    }
  if (out_commit)
    *out_commit = g_steal_pointer (&commit);
  if (out_commit_variant)
    *out_commit_variant = g_steal_pointer (&commit_v);
  return TRUE;
}
