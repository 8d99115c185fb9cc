/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Which signing key to use, as every front end names it (the CLI's --key,
 * --key-pass-file, --cert, --keyid; the plugin's --ima-* options; the
 * device config's etc-signing-*), and the one place that loads it and
 * clears the secrets involved.
 *
 *   OimaKeySpec spec = { .key = "/etc/keys/ima.pem", .pass_file = "/run/pass",
 *                        .cert = "/etc/keys/ima.der" };
 *   g_autoptr(OimaSigningKey) key = oima_key_spec_load (&spec, &error);
 *
 * Passphrases and PINs come from a file or, where the front end allows it,
 * the environment variable OSTREE_IMA_KEY_PASS, never from argv.  The
 * variable's value is wiped in place (so /proc/PID/environ no longer shows
 * it) and removed from the environment as soon as it has been read.
 */
#pragma once

#include "oima-signing-key.h"

G_BEGIN_DECLS

#define OIMA_KEY_PASS_ENV "OSTREE_IMA_KEY_PASS"

/* Passphrase files larger than this are refused (think /dev/zero). */
#define OIMA_KEY_PASS_MAX 4096

typedef struct
{
  const char *key;        /* PEM/DER file or "pkcs11:" URI; required */
  const char *pass_file;  /* passphrase or PIN: the first line of this file */
  gboolean pass_from_env; /* else (no pass_file) OSTREE_IMA_KEY_PASS, if set */
  const char *cert;       /* key id from this certificate's subjectKeyIdentifier */
  const char *keyid_hex;  /* or this key id (8 hex digits); not with @cert */
  /* Accept an unencrypted key file that group or others can read. */
  gboolean allow_insecure_perms;
} OimaKeySpec;

/* Which part of a spec an error is about, for front ends to name it. */
typedef enum
{
  OIMA_KEY_SPEC_KEY,
  OIMA_KEY_SPEC_PASS_FILE,
  OIMA_KEY_SPEC_CERT,
  OIMA_KEY_SPEC_KEYID,
} OimaKeySpecPart;

/* Load the key @spec names.  Errors name the problem, never a flag;
 * @out_failed_part (may be NULL) says which part it is about.  The
 * conditions a front end explains (no key, passphrase needed or wrong,
 * PIN in a URI) carry OIMA_ERROR codes (oima-error.h). */
OimaSigningKey *oima_key_spec_load (const OimaKeySpec *spec, OimaKeySpecPart *out_failed_part,
                                    GError **error);

/* Read a passphrase: the first line of @pass_file, at most
 * OIMA_KEY_PASS_MAX bytes.  Free with oima_passphrase_free. */
gboolean oima_passphrase_read_file (const char *pass_file, char **out_passphrase, GError **error);

/* Take OSTREE_IMA_KEY_PASS out of the environment: its value (NULL if
 * unset) is copied, wiped in place and unset. */
char *oima_passphrase_take_env (void);

/* Wipe and free. */
void oima_passphrase_free (char *passphrase);

G_END_DECLS
