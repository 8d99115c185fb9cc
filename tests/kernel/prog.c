/* Tiny test program for the kernel appraisal tests.
 *
 * Built per test with `gcc -static -DPROG_NAME='"name"'`, so every program has
 * distinct bytes (and so a distinct IMA digest / signature).  It prints a
 * marker the guest /init checks and exits 0.  Deliberately not a busybox copy:
 * busybox dispatches on argv[0], which would hide what was really executed.
 */
#include <stdio.h>

#ifndef PROG_NAME
#define PROG_NAME "prog"
#endif

int
main (void)
{
  /* One literal, so the name is inside the marker string in the binary. */
  puts ("OIMA-PROG-OK " PROG_NAME);
  return 0;
}
