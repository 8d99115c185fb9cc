/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima inspect: decode security.ima / security.evm of files in a
 * commit or on disk, like ima-evm-utils' ima_inspect.  With --cert, also
 * whether a portable security.evm verifies over the file's xattrs, owner,
 * group and mode (oima-evm.h).
 */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "oima-cli.h"
#include "oima-disk.h"
#include "oima-evm.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

static char *opt_repo;
static char **opt_certs;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Inspect files of a commit in this repository",
    "PATH" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Also say whether security.evm verifies with these certificates (repeatable)", "CERT" },
  { NULL },
};

static void
print_value (const char *path, const char *name, GBytes *value)
{
  if (value == NULL)
    return;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (value, &len);
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_xattr_decode (data, len, &v, &local_error))
    g_print ("%s: %s: invalid (%" G_GSIZE_FORMAT " bytes): %s\n", path, name, len,
             local_error->message);
  else
    {
      g_autofree char *desc = oima_xattr_value_describe (&v);
      g_print ("%s: %s: %s len=%" G_GSIZE_FORMAT "\n", path, name, desc, len);
    }
}

/* With a trust: does the security.evm verify over these xattrs and metadata? */
static void
print_evm_validity (const char *path, GVariant *xattrs, OimaTrust *trust, guint32 uid, guint32 gid,
                    guint32 mode)
{
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (trust == NULL || evm == NULL)
    return;
  OimaVerifyStatus status;
  g_autofree char *detail = NULL;
  oima_evm_verify (trust, xattrs, uid, gid, mode, &status, &detail);
  g_print ("%s: %s: %s%s%s\n", path, OIMA_XATTR_EVM, oima_verify_status_name (status),
           detail ? ": " : "", detail ? detail : "");
}

/* Prints everything; returns FALSE if the list is one ostree cannot check
 * out (bootc's names without NUL, duplicates, unsorted). */
static gboolean
print_xattrs (const char *path, GVariant *xattrs)
{
  g_autofree char *problem = oima_xattrs_describe_problem (xattrs);
  if (problem)
    g_print ("%s: %s\n", path, problem);
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (ima == NULL && evm == NULL)
    g_print ("%s: no security.ima\n", path);
  print_value (path, OIMA_XATTR_IMA, ima);
  print_value (path, OIMA_XATTR_EVM, evm);
  return problem == NULL;
}

typedef struct
{
  OstreeRepo *repo;
  OimaTrust *trust; /* NULL: no EVM validity */
  GPtrArray *paths; /* NULL: every file */
  GCancellable *cancellable;
  guint n_printed;
  guint n_bad_encoding;
} InspectWalk;

static gboolean
path_selected (InspectWalk *w, const char *path)
{
  if (w->paths == NULL)
    return TRUE;
  for (guint i = 0; i < w->paths->len; i++)
    {
      const char *p = w->paths->pdata[i];
      gsize len = strlen (p);
      if (g_str_equal (p, "/")
          || (g_str_has_prefix (path, p) && (path[len] == '\0' || path[len] == '/')))
        return TRUE;
    }
  return FALSE;
}

static gboolean
inspect_file (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  InspectWalk *w = user_data;
  if (!path_selected (w, path))
    return TRUE;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (w->repo, checksum, NULL, &info, &xattrs, w->cancellable, error))
    return FALSE;
  w->n_printed++;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return TRUE;
  if (!print_xattrs (path, xattrs))
    w->n_bad_encoding++;
  print_evm_validity (path, xattrs, w->trust, g_file_info_get_attribute_uint32 (info, "unix::uid"),
                      g_file_info_get_attribute_uint32 (info, "unix::gid"),
                      g_file_info_get_attribute_uint32 (info, "unix::mode"));
  return TRUE;
}

static gboolean
check_encodings (guint n_bad, GError **error)
{
  if (n_bad == 0)
    return TRUE;
  return oima_throw (error,
                     "%u files carry xattr lists ostree cannot check out (repair them with "
                     "`ostree ima sign --repair`)",
                     n_bad);
}

static gboolean
inspect_disk_file (const char *path, OimaTrust *trust, GError **error)
{
  g_autoptr (GVariant) xattrs = NULL;
  if (!oima_disk_read_xattrs (AT_FDCWD, path, &xattrs, error))
    return FALSE;
  gboolean ok = print_xattrs (path, xattrs);
  struct stat st;
  if (trust && lstat (path, &st) < 0)
    return oima_throw_errno (error, path);
  if (trust)
    print_evm_validity (path, xattrs, trust, st.st_uid, st.st_gid, st.st_mode);
  return check_encodings (ok ? 0 : 1, error);
}

gboolean
oima_builtin_inspect (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "REV [PATH...] | FILE...",
                       "Decode security.ima and security.evm values.", error))
    return FALSE;
  g_autoptr (OimaTrust) trust = NULL;
  if (opt_certs && !(trust = oima_cli_load_trust (opt_certs, error)))
    return FALSE;

  if (opt_repo == NULL)
    {
      if (argc < 2)
        return oima_cli_throw_usage (error, "expected FILE..., or --repo=PATH REV");
      for (int i = 1; i < argc; i++)
        if (!inspect_disk_file (argv[i], trust, error))
          return FALSE;
      return TRUE;
    }

  if (argc < 2)
    return oima_cli_throw_usage (error, "expected REV");
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, argv[1], NULL, NULL, &root_tree, error))
    return FALSE;
  g_autoptr (GPtrArray) paths = NULL;
  if (argc > 2)
    {
      paths = g_ptr_array_new_with_free_func (g_free);
      for (int i = 2; i < argc; i++)
        {
          if (argv[i][0] != '/')
            return oima_cli_throw_usage (error, "PATH '%s' must be absolute in the commit",
                                         argv[i]);
          g_autofree char *p = g_strdup (argv[i]);
          gsize len = strlen (p);
          while (len > 1 && p[len - 1] == '/')
            p[--len] = '\0';
          g_ptr_array_add (paths, g_steal_pointer (&p));
        }
    }
  InspectWalk w = { repo, trust, paths, cancellable, 0, 0 };
  if (!oima_tree_walk (repo, root_tree, inspect_file, &w, cancellable, error))
    return FALSE;
  if (paths && w.n_printed == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No file at %s in %s", argv[2],
                   argv[1]);
      return FALSE;
    }
  return check_encodings (w.n_bad_encoding, error);
}
