/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A test-only LD_PRELOAD shim: read-only opens of a path that ends with
 * one of the ':'-separated suffixes in $OIMA_FAULT_EACCES fail with
 * EACCES, as an object or a deployed file the hooks cannot read would
 * (root reads through permissions, so a chmod cannot do it).  Opens for
 * writing, and every other path, go through.
 *
 *   LD_PRELOAD=.../liboima-fault-open.so OIMA_FAULT_EACCES=ab/cdef.file ostree ...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Define open and open64 both: no redirection of one to the other. */
#ifdef _FILE_OFFSET_BITS
#undef _FILE_OFFSET_BITS
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int
refused (const char *path, int flags)
{
  const char *list = getenv ("OIMA_FAULT_EACCES");
  if (list == NULL || path == NULL || (flags & O_ACCMODE) != O_RDONLY)
    return 0;
  size_t plen = strlen (path);
  while (*list)
    {
      const char *end = strchrnul (list, ':');
      size_t n = (size_t)(end - list);
      if (n > 0 && n <= plen && memcmp (path + plen - n, list, n) == 0
          && (n == plen || path[plen - n - 1] == '/'))
        return 1;
      list = *end ? end + 1 : end;
    }
  return 0;
}

#define MODE_ARG(flags, mode)                                                                      \
  do                                                                                               \
    {                                                                                              \
      if ((flags) & (O_CREAT | __O_TMPFILE))                                                       \
        {                                                                                          \
          va_list ap;                                                                              \
          va_start (ap, flags);                                                                    \
          mode = va_arg (ap, int);                                                                 \
          va_end (ap);                                                                             \
        }                                                                                          \
    }                                                                                              \
  while (0)

typedef int (*openat_fn) (int, const char *, int, ...);
typedef int (*open_fn) (const char *, int, ...);

#define DEFINE_OPENAT(name)                                                                        \
  int name (int dfd, const char *path, int flags, ...)                                             \
  {                                                                                                \
    int mode = 0;                                                                                  \
    MODE_ARG (flags, mode);                                                                        \
    if (refused (path, flags))                                                                     \
      {                                                                                            \
        errno = EACCES;                                                                            \
        return -1;                                                                                 \
      }                                                                                            \
    static openat_fn real;                                                                         \
    if (real == NULL)                                                                              \
      real = (openat_fn)dlsym (RTLD_NEXT, #name);                                                  \
    return real (dfd, path, flags, mode);                                                          \
  }

#define DEFINE_OPEN(name)                                                                          \
  int name (const char *path, int flags, ...)                                                      \
  {                                                                                                \
    int mode = 0;                                                                                  \
    MODE_ARG (flags, mode);                                                                        \
    if (refused (path, flags))                                                                     \
      {                                                                                            \
        errno = EACCES;                                                                            \
        return -1;                                                                                 \
      }                                                                                            \
    static open_fn real;                                                                           \
    if (real == NULL)                                                                              \
      real = (open_fn)dlsym (RTLD_NEXT, #name);                                                    \
    return real (path, flags, mode);                                                               \
  }

DEFINE_OPENAT (openat)
DEFINE_OPENAT (openat64)
DEFINE_OPEN (open)
DEFINE_OPEN (open64)
