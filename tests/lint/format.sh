#!/bin/bash
# Every C file of the tree is formatted as .clang-format says (ostree's
# style: GNU braces, 100 columns).  Fix with: clang-format -i FILE...
set -euo pipefail
top=${OSTREE_IMA_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v clang-format >/dev/null || { echo "SKIP: clang-format not found (see ci/packages.d/core.txt)"; exit 77; }
cd "$top"
mapfile -t files < <(find plugin hooks tests -name '*.[ch]' | LC_ALL=C sort)
[ ${#files[@]} -gt 0 ] || { echo "no C files under $top"; exit 1; }
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "FAIL: not formatted as .clang-format says: clang-format -i the files above" >&2
  exit 1
fi
echo "PASS: ${#files[@]} files formatted"
