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

/* The mode argument of an open that creates, else 0. */
#define MODE_ARG(flags)                                                                            \
  ({                                                                                               \
    int m_ = 0;                                                                                    \
    if ((flags) & (O_CREAT | __O_TMPFILE))                                                         \
      {                                                                                            \
        va_list ap;                                                                                \
        va_start (ap, flags);                                                                      \
        m_ = va_arg (ap, int);                                                                     \
        va_end (ap);                                                                               \
      }                                                                                            \
    m_;                                                                                            \
  })

/* The next definition of @name, called with @args, unless @path is refused. */
#define PASS_ON(type, name, path, flags, ...)                                                      \
  do                                                                                               \
    {                                                                                              \
      if (refused (path, flags))                                                                   \
        {                                                                                          \
          errno = EACCES;                                                                          \
          return -1;                                                                               \
        }                                                                                          \
      static type real;                                                                            \
      if (real == NULL)                                                                            \
        real = (type)dlsym (RTLD_NEXT, name);                                                      \
      return real (__VA_ARGS__);                                                                   \
    }                                                                                              \
  while (0)

typedef int (*openat_fn) (int, const char *, int, ...);
typedef int (*open_fn) (const char *, int, ...);

int
openat (int dfd, const char *path, int flags, ...)
{
  PASS_ON (openat_fn, "openat", path, flags, dfd, path, flags, MODE_ARG (flags));
}

int
openat64 (int dfd, const char *path, int flags, ...)
{
  PASS_ON (openat_fn, "openat64", path, flags, dfd, path, flags, MODE_ARG (flags));
}

int
open (const char *path, int flags, ...)
{
  PASS_ON (open_fn, "open", path, flags, path, flags, MODE_ARG (flags));
}

int
open64 (const char *path, int flags, ...)
{
  PASS_ON (open_fn, "open64", path, flags, path, flags, MODE_ARG (flags));
}
