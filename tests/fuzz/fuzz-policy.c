/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: IMA policy files as the kernel reads them, for the
 * oldest and the newest kernel the parser knows.  A policy either parses
 * into rules whose fields are consistent, or fails with a message that
 * names the source.
 */

#include <string.h>

#include "oima-policy.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const kernels[] = { "6.1", NULL };
  for (guint k = 0; k < G_N_ELEMENTS (kernels); k++)
    {
      OimaPolicyOptions opts = { .kernel = kernels[k] };
      g_autoptr (GError) error = NULL;
      g_autoptr (OimaPolicy) policy
          = oima_policy_parse ((const char *)data, (gssize)size, "fuzz", &opts, &error);
      if (policy == NULL)
        {
          g_assert (error != NULL);
          g_assert (g_str_has_prefix (error->message, "fuzz"));
          continue;
        }
      g_assert_no_error (error);
      guint n = oima_policy_get_n_rules (policy);
      for (guint i = 0; i < n; i++)
        {
          const OimaPolicyRule *rule = oima_policy_get_rule (policy, i);
          g_assert (rule != NULL && rule->text != NULL);
          g_assert (rule->line >= 1);
          (void)oima_hook_name (rule->func);
        }
      (void)oima_policy_get_fail_securely (policy);
    }
  return 0;
}
