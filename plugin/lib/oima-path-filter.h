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

G_END_DECLS
