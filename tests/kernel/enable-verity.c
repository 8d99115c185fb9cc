/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * enable-verity FILE...: FS_IOC_ENABLE_VERITY with sha256 and 4096-byte
 * blocks, no salt (the parameters `fsverity digest` assumes by default), for
 * the guest of tests/kernel/case-verity.sh, whose initramfs has no
 * fsverity-utils.  Built static on the host.
 */
#include <fcntl.h>
#include <linux/fsverity.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  int rc = 0;
  for (int i = 1; i < argc; i++)
    {
      struct fsverity_enable_arg arg;
      memset (&arg, 0, sizeof arg);
      arg.version = 1;
      arg.hash_algorithm = FS_VERITY_HASH_ALG_SHA256;
      arg.block_size = 4096;
      int fd = open (argv[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ioctl (fd, FS_IOC_ENABLE_VERITY, &arg) != 0)
        {
          fprintf (stderr, "enable-verity: %s: %m\n", argv[i]);
          rc = 1;
        }
      if (fd >= 0)
        close (fd);
    }
  return rc;
}
