#!/usr/bin/env bash
# Fails, listing the files, when a C++ file under version control differs from what clang-format
# makes of it with the checked-in .clang-format. Fix with:
#   git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format-14 -i
# The version is pinned: another clang-format may lay out the same style differently.
set -euo pipefail
cd "$(dirname "$0")/.."
format=clang-format-14
bad=()
while IFS= read -r file; do
  "$format" --dry-run --Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format: ${#bad[@]} files differ from $format's layout:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "fix: git ls-files '*.cpp' '*.hpp' '*.h' | xargs $format -i" >&2
  exit 1
fi
echo "check_format: $(git ls-files '*.cpp' '*.hpp' '*.h' | wc -l) files follow .clang-format"
