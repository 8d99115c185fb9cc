/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * --include / --exclude globs over absolute paths inside a commit.
 * A path is selected if there are no includes or it matches one, and it
 * matches no exclude.  Globs use fnmatch(3) without FNM_PATHNAME, so
 * a glob ending in slash-star
 * under /usr/bin also selects files in subdirectories of /usr/bin.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OimaPathFilter OimaPathFilter;

/* Either array may be NULL. Globs must be absolute ("/..."). */
OimaPathFilter *oima_path_filter_new (const char *const *includes, const char *const *excludes,
                                      GError **error);
void oima_path_filter_free (OimaPathFilter *filter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaPathFilter, oima_path_filter_free)

gboolean oima_path_filter_matches (const OimaPathFilter *filter, const char *path);

/* A repeatable option that selects paths, given alone (every path) or
 * with a glob (those paths): --hash-only, --hash-only=GLOB.  Front ends
 * keep one in their option state and feed it from a GOption callback:
 *
 *   static OimaPathOption opt_hash_only;
 *   static gboolean parse_hash_only (const char *n, const char *v, gpointer d, GError **e)
 *   { oima_path_option_add (&opt_hash_only, v); return TRUE; }
 *   ...
 *   g_autoptr(OimaPathFilter) f = NULL;
 *   if (!oima_path_option_to_filter (&opt_hash_only, &f, error)) ...  // f NULL: not given
 */
typedef struct
{
  gboolean given;
  GPtrArray *globs; /* NULL-terminated once to_filter ran; NULL: every path */
} OimaPathOption;

void oima_path_option_add (OimaPathOption *option, const char *glob_or_null);
gboolean oima_path_option_to_filter (OimaPathOption *option, OimaPathFilter **out_filter,
                                     GError **error);

G_END_DECLS
