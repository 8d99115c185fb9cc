/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima keygen: a signing key and a certificate the kernel accepts.
 */

#include "oima-cli.h"
#include "oima-keygen.h"

static char *opt_out;
static gboolean opt_ec;
static char *opt_curve;
static int opt_bits;
static int opt_days;
static char *opt_subject;

static GOptionEntry options[] = {
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Output directory (required)", "DIR" },
  { "ec", 0, 0, G_OPTION_ARG_NONE, &opt_ec, "ECDSA key instead of RSA", NULL },
  { "curve", 0, 0, G_OPTION_ARG_STRING, &opt_curve, "EC curve: P-256 (default) or P-384", "CURVE" },
  { "bits", 0, 0, G_OPTION_ARG_INT, &opt_bits, "RSA key size (default: 3072)", "N" },
  { "days", 0, 0, G_OPTION_ARG_INT, &opt_days, "Certificate validity (default: 3650)", "N" },
  { "subject", 0, 0, G_OPTION_ARG_STRING, &opt_subject, "Certificate common name", "CN" },
  { NULL },
};

gboolean
oima_builtin_keygen (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "",
                       "Write DIR/ima-key.pem (mode 0600), DIR/ima-cert.pem and "
                       "DIR/ima-cert.der.",
                       error))
    return FALSE;
  if (argc != 1)
    return oima_cli_throw_usage (error, "unexpected argument '%s'", argv[1]);
  if (opt_out == NULL)
    return oima_cli_throw_usage (error, "--out=DIR is required");
  if (opt_days < 0 || opt_bits < 0)
    return oima_cli_throw_usage (error, "--days and --bits must be positive");

  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_RSA, (guint)opt_bits, (guint)opt_days, opt_subject };
  if (opt_curve && !opt_ec)
    return oima_cli_throw_usage (error, "--curve needs --ec");
  if (opt_ec)
    {
      if (opt_bits)
        return oima_cli_throw_usage (error, "--bits is for RSA keys");
      if (opt_curve == NULL || g_ascii_strcasecmp (opt_curve, "P-256") == 0
          || g_ascii_strcasecmp (opt_curve, "prime256v1") == 0)
        kopts.type = OIMA_KEY_TYPE_EC_P256;
      else if (g_ascii_strcasecmp (opt_curve, "P-384") == 0
               || g_ascii_strcasecmp (opt_curve, "secp384r1") == 0)
        kopts.type = OIMA_KEY_TYPE_EC_P384;
      else
        return oima_cli_throw_usage (error, "unknown curve '%s': use P-256 or P-384", opt_curve);
    }
  guint32 keyid = 0;
  if (!oima_keygen (opt_out, &kopts, &keyid, error))
    return FALSE;
  g_print ("Wrote %s/ima-key.pem, ima-cert.pem, ima-cert.der (key id %08x)\n", opt_out, keyid);
  return TRUE;
}
