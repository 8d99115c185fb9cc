/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree's xattr GVariant (a(ayay)) done right: names NUL-terminated,
 * sorted, without duplicates (see ostree issue #3240).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Value of @name in @xattrs (a(ayay), may be NULL), or NULL. */
GBytes *oima_xattrs_lookup (GVariant *xattrs, const char *name);

/* New floating-free a(ayay) with @name set to @value (replacing any old
 * value), or removed if @value is NULL.  Output is canonical: sorted by
 * name, NUL-terminated names, no duplicates. */
GVariant *oima_xattrs_set (GVariant *xattrs, const char *name, GBytes *value);

/* @xattrs without any entry named @name, everything else exactly as it
 * is (order, encoding of names): for checksums over what ostree stored. */
GVariant *oima_xattrs_filter_out (GVariant *xattrs, const char *name);

/* Canonical copy of @xattrs (sorted, NUL-terminated names, no duplicates:
 * the last value wins). */
GVariant *oima_xattrs_canonicalize (GVariant *xattrs);

/* Why @xattrs is not canonical ("xattr name \"security.ima\" has no
 * trailing NUL", ...), or NULL if it is. */
char *oima_xattrs_describe_problem (GVariant *xattrs);

/* TRUE if @xattrs is already canonical. */
gboolean oima_xattrs_is_canonical (GVariant *xattrs);

G_END_DECLS
