/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fnmatch.h>

#include "oima-path-filter.h"
#include "oima-util.h"

struct _OimaPathFilter
{
  GStrv includes;
  GStrv excludes;
};

/* Where fnmatch would silently take a broken pattern literally: a bracket
 * expression that is never closed, a trailing backslash. */
static const char *
glob_problem (const char *glob)
{
  for (const char *p = glob; *p; p++)
    {
      if (*p == '\\')
        {
          if (*++p == '\0')
            return "ends in a backslash";
        }
      else if (*p == '[')
        {
          const char *q = p + 1;
          if (*q == '!' || *q == '^')
            q++;
          if (*q == ']')
            q++; /* a literal ] first */
          while (*q && *q != ']')
            q++;
          if (*q == '\0')
            return "has a '[' that is never closed";
          p = q;
        }
    }
  return NULL;
}

static gboolean
check_globs (const char *const *globs, const char *option, GError **error)
{
  for (const char *const *g = globs; g && *g; g++)
    {
      if (**g != '/')
        return oima_throw_code (error, OIMA_ERROR_BAD_GLOB,
                                "%s glob '%s' is not an absolute path inside the commit (\"/...\")",
                                option, *g);
      const char *problem = glob_problem (*g);
      if (problem)
        return oima_throw_code (error, OIMA_ERROR_BAD_GLOB, "%s glob '%s' %s", option, *g, problem);
    }
  return TRUE;
}

OimaPathFilter *
oima_path_filter_new (const char *const *includes, const char *const *excludes, GError **error)
{
  if (!check_globs (includes, "Include", error) || !check_globs (excludes, "Exclude", error))
    return NULL;
  OimaPathFilter *self = g_new0 (OimaPathFilter, 1);
  self->includes = g_strdupv ((char **)includes);
  self->excludes = g_strdupv ((char **)excludes);
  return self;
}

void
oima_path_filter_free (OimaPathFilter *filter)
{
  g_strfreev (filter->includes);
  g_strfreev (filter->excludes);
  g_free (filter);
}

static gboolean
any_match (GStrv globs, const char *path)
{
  for (char **g = globs; g && *g; g++)
    if (fnmatch (*g, path, 0) == 0)
      return TRUE;
  return FALSE;
}

gboolean
oima_path_filter_matches (const OimaPathFilter *filter, const char *path)
{
  if (filter == NULL)
    return TRUE;
  if (filter->includes && filter->includes[0] && !any_match (filter->includes, path))
    return FALSE;
  return !any_match (filter->excludes, path);
}

void
oima_path_option_add (OimaPathOption *option, const char *glob_or_null)
{
  option->given = TRUE;
  if (glob_or_null == NULL)
    return;
  if (option->globs == NULL)
    option->globs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (option->globs, g_strdup (glob_or_null));
}

gboolean
oima_path_option_to_filter (OimaPathOption *option, OimaPathFilter **out_filter, GError **error)
{
  *out_filter = NULL;
  if (!option->given)
    return TRUE;
  if (option->globs && (option->globs->len == 0 || option->globs->pdata[option->globs->len - 1]))
    g_ptr_array_add (option->globs, NULL);
  *out_filter = oima_path_filter_new (
      option->globs ? (const char *const *)option->globs->pdata : NULL, NULL, error);
  return *out_filter != NULL;
}
