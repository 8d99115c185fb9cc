/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The device hooks of the "ima" plugin: thin adapters from the plugin ABI
 * (ostree-plugin.h) to the core's device check (oima-device.h).
 *
 * pull_commit: for a sysroot's repository (or any, when $OSTREE_IMA_CONF
 *   names a configuration), every regular file of the pulled commit is
 *   checked against the device's keyring and policy; [pull] mode=enforce
 *   refuses the commit, warn prints a summary, off does nothing.
 * deploy: after checkout and the /etc merge, before the bootloader: strip
 *   the configured xattrs from deployed copies, sign what the policy would
 *   deny in the merged /etc with the device's etc-signing-key, then check
 *   the deployment as the kernel will see it; [deploy] mode decides.
 *   Deployed files are hardlinks of repository objects: they are copied
 *   before they are changed.
 */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

gboolean ima_hook_pull_commit (OstreeRepo *repo, const char *remote_name, const char *ref_name,
                               const char *checksum, GCancellable *cancellable, GError **error);

gboolean ima_hook_deploy (OstreeSysroot *sysroot, OstreeDeployment *deployment, int deployment_dfd,
                          GCancellable *cancellable, GError **error);

G_END_DECLS
