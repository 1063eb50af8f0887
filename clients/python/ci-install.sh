#!/usr/bin/env bash
# Installs the Python package (with its starlette extra) and what its tests need, from the package
# indexes pip is configured with (`pip config list`), named directly so pip never waits on another.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

# index-url first, then extra-index-url, from any scope (global, user, site, environment).
config="$("$python" -m pip config list 2>/dev/null || true)"
indexes=()
for name in index-url extra-index-url; do
  values="$(printf '%s\n' "$config" | sed -n "s/^[^=]*\.${name}='\(.*\)'$/\1/p")"
  for url in $values; do indexes+=("$url"); done
done
args=()
if [ "${#indexes[@]}" -gt 0 ]; then
  args+=(--index-url "${indexes[0]}")
  for url in "${indexes[@]:1}"; do args+=(--extra-index-url "$url"); done
fi

"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${args[@]}" -r "$here/requirements-test.txt"
# The package as a user installs it, to prove it installs (the tests import the source tree).
"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-build-isolation "${args[@]}" "$here[starlette]"
"$python" -c 'import tollgate, tollgate.middleware; print("tollgate", tollgate.__version__, "installed")'
