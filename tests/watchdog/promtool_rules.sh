#!/bin/sh
# The alerting rules of watchdog/prometheus: syntax (promtool check rules)
# and their unit tests (promtool test rules). Exit 77 = skipped (ctest
# SKIP_RETURN_CODE) when promtool is not installed.
set -eu
dir=$1
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: no promtool on PATH (apt-get install prometheus, or scripts/setup-deps.sh)"
  exit 77
fi
promtool check rules "$dir/oomlab-watchdog.rules.yml"
# test rules resolves rule_files relative to the test file.
promtool test rules "$dir/oomlab-watchdog.rules.test.yml"
