/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Error codes of the core for the conditions a front end explains in its
 * own terms.  The core's message names the problem ("the private key is
 * encrypted and no passphrase was given"); the CLI adds "use
 * --key-pass-file", the ostree plugin "use --ima-key-pass-file", a device
 * hook names its config key.  Everything else is G_IO_ERROR.
 *
 *   if (g_error_matches (error, OIMA_ERROR, OIMA_ERROR_PASSPHRASE_NEEDED)) ...
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OIMA_ERROR (oima_error_quark ())
GQuark oima_error_quark (void);

typedef enum
{
  OIMA_ERROR_NO_KEY,            /* no private key was given */
  OIMA_ERROR_PASSPHRASE_NEEDED, /* encrypted key or token login without passphrase/PIN */
  OIMA_ERROR_PASSPHRASE_WRONG,  /* the passphrase or PIN was refused */
  OIMA_ERROR_SECRET_IN_URI,     /* a PKCS#11 URI carries pin-value= */
  OIMA_ERROR_BAD_GLOB,          /* a path glob is not absolute or not valid */
  OIMA_ERROR_EXISTING_VALUE,    /* an existing security.ima would be kept but is malformed */
  OIMA_ERROR_WEAK_HASH,         /* md4/md5/sha1/rmd160: refused unless explicitly allowed */
  OIMA_ERROR_EMPTY_SELECTION,
  OIMA_ERROR_INSECURE_KEY,
  /* an unencrypted private key readable by group or others */ /* no regular file selected: nothing
                                                                  to sign or check */
} OimaErrorCode;

/* Set an OIMA_ERROR and return FALSE. */
gboolean oima_throw_code (GError **error, OimaErrorCode code, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

G_END_DECLS
