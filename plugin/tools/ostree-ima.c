/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree-ima: `ostree ima VERB` on stock ostree (external command), or run
 * directly as `ostree-ima VERB`.
 */

#include "oima-cli.h"

static const OimaCommand commands[] = {
  { "sign", oima_builtin_sign, "Re-sign a commit's files with IMA signatures into a new commit" },
  { "verify", oima_builtin_verify, "Check a commit's IMA signatures against trusted certificates" },
  { "inspect", oima_builtin_inspect, "Decode security.ima / security.evm of files" },
  { "fsck", oima_builtin_fsck,
    "Check every object as the patched ostree fsck does, and its signature status" },
  { "appraise", oima_builtin_appraise,
    "Predict what the device's kernel would deny in a commit or the next deployment" },
  { "verify-deployment", oima_builtin_verify_deployment,
    "Compare a deployment on disk with its commit (swapped, rolled back, added files)" },
  { "check-log", oima_builtin_check_log,
    "Check a kernel's IMA measurement list and PCR 10 against a commit" },
  { "keygen", oima_builtin_keygen, "Create a signing key and certificate for the kernel" },
  { "keylime-policy", oima_builtin_keylime_policy, "Write a Keylime runtime policy for a commit" },
  { NULL },
};

int
main (int argc, char **argv)
{
  return oima_cli_main (argc, argv, "ostree-ima", "ima", commands);
}
