/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-xattrs.h"

typedef struct
{
  char *name;
  GBytes *value;
} Xattr;

static void
xattr_clear (gpointer p)
{
  Xattr *x = p;
  g_free (x->name);
  g_bytes_unref (x->value);
}

/* The name of an a(ayay) entry as a C string: bytes up to the first NUL, or
 * all of them for names written without one (ostree issue #3240). */
static char *
entry_name (GVariant *name_v)
{
  gsize len = 0;
  const char *data = g_variant_get_fixed_array (name_v, &len, 1);
  if (len == 0)
    return g_strdup (""); /* an empty name: never a match, dropped on canonicalizing */
  const char *nul = memchr (data, '\0', len);
  return g_strndup (data, nul ? (gsize)(nul - data) : len);
}

/* Entry @i of @xattrs: its name as a C string and its value. */
static void
entry_at (GVariant *xattrs, gsize i, char **out_name, GBytes **out_value)
{
  g_autoptr (GVariant) name_v = NULL;
  g_autoptr (GVariant) value_v = NULL;
  g_variant_get_child (xattrs, i, "(@ay@ay)", &name_v, &value_v);
  *out_name = entry_name (name_v);
  *out_value = g_variant_get_data_as_bytes (value_v);
}

static GArray *
xattrs_to_array (GVariant *xattrs)
{
  GArray *arr = g_array_new (FALSE, TRUE, sizeof (Xattr));
  g_array_set_clear_func (arr, xattr_clear);
  gsize n = xattrs ? g_variant_n_children (xattrs) : 0;
  for (gsize i = 0; i < n; i++)
    {
      Xattr x;
      entry_at (xattrs, i, &x.name, &x.value);
      if (x.name[0] == '\0')
        xattr_clear (&x);
      else
        g_array_append_val (arr, x);
    }
  return arr;
}

static gint
xattr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Xattr *)a)->name, ((const Xattr *)b)->name);
}

/* Drop duplicates (the last value wins), sort by name, build a(ayay) with
 * NUL-terminated names.  Files carry a handful of xattrs: quadratic is fine. */
static GVariant *
array_to_canonical_variant (GArray *arr)
{
  for (guint i = 0; i < arr->len;)
    {
      gboolean later_dup = FALSE;
      for (guint j = i + 1; j < arr->len && !later_dup; j++)
        later_dup
            = strcmp (g_array_index (arr, Xattr, i).name, g_array_index (arr, Xattr, j).name) == 0;
      if (later_dup)
        g_array_remove_index (arr, i);
      else
        i++;
    }
  g_array_sort (arr, xattr_cmp);
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  for (guint i = 0; i < arr->len; i++)
    {
      Xattr *x = &g_array_index (arr, Xattr, i);
      g_variant_builder_add (&builder, "(@ay@ay)", g_variant_new_bytestring (x->name),
                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, x->value, TRUE));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

GBytes *
oima_xattrs_lookup (GVariant *xattrs, const char *name)
{
  gsize n = xattrs ? g_variant_n_children (xattrs) : 0;
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *entry = NULL;
      g_autoptr (GBytes) value = NULL;
      entry_at (xattrs, i, &entry, &value);
      if (entry[0] != '\0' && strcmp (entry, name) == 0)
        return g_steal_pointer (&value);
    }
  return NULL;
}

GVariant *
oima_xattrs_set (GVariant *xattrs, const char *name, GBytes *value)
{
  g_autoptr (GArray) arr = xattrs_to_array (xattrs);
  for (guint i = arr->len; i > 0; i--)
    if (strcmp (g_array_index (arr, Xattr, i - 1).name, name) == 0)
      g_array_remove_index (arr, i - 1);
  if (value != NULL)
    {
      Xattr x = { g_strdup (name), g_bytes_ref (value) };
      g_array_append_val (arr, x);
    }
  return array_to_canonical_variant (arr);
}

GVariant *
oima_xattrs_filter_out (GVariant *xattrs, const char *name)
{
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  gsize n = xattrs ? g_variant_n_children (xattrs) : 0;
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (xattrs, i);
      g_autoptr (GVariant) name_v = g_variant_get_child_value (entry, 0);
      g_autofree char *entry_str = entry_name (name_v);
      if (strcmp (entry_str, name) != 0)
        g_variant_builder_add_value (&builder, entry);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

GVariant *
oima_xattrs_canonicalize (GVariant *xattrs)
{
  g_autoptr (GArray) arr = xattrs_to_array (xattrs);
  return array_to_canonical_variant (arr);
}

char *
oima_xattrs_describe_problem (GVariant *xattrs)
{
  gsize n = xattrs ? g_variant_n_children (xattrs) : 0;
  g_autofree char *previous = NULL;
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (xattrs, i);
      g_autoptr (GVariant) name_v = g_variant_get_child_value (entry, 0);
      gsize len = 0;
      const char *raw = g_variant_get_fixed_array (name_v, &len, 1);
      g_autofree char *name = entry_name (name_v);
      if (name[0] == '\0')
        return g_strdup ("an empty xattr name");
      if (len == 0 || raw[len - 1] != '\0' || strlen (name) != len - 1)
        return g_strdup_printf ("xattr name \"%s\" is not a NUL-terminated string (ostree "
                                "cannot check it out)",
                                name);
      if (previous && strcmp (previous, name) == 0)
        return g_strdup_printf ("xattr \"%s\" appears twice", name);
      if (previous && strcmp (previous, name) > 0)
        return g_strdup_printf ("xattrs are not sorted by name (\"%s\" after \"%s\")", name,
                                previous);
      g_free (previous);
      previous = g_steal_pointer (&name);
    }
  return NULL;
}

gboolean
oima_xattrs_is_canonical (GVariant *xattrs)
{
  if (xattrs == NULL)
    return TRUE;
  g_autoptr (GVariant) canonical = oima_xattrs_canonicalize (xattrs);
  return g_variant_equal (canonical, xattrs);
}
