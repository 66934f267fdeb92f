#!/usr/bin/env bash
# Generates the Python bindings from the built library and runs the pytest suite against
# reference devices on 127.0.0.1 (pytest from PyPI, in a venv under the target directory
# when it is missing).
set -euo pipefail
source "$(dirname "$0")/../scripts/tools.sh"

command -v python3 >/dev/null || apt_install python3 python3-venv
out=$target_dir/bindings/python
generate python "$out/generated"
cp "$lib_dir/liborbit_bindings.so" "$out/generated/"

python=python3
if ! python3 -c 'import pytest' 2>/dev/null; then
    venv=$target_dir/bindings/venv
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    fi
    "$venv/bin/python" -c 'import pytest' 2>/dev/null || "$venv/bin/python" -m pip install -q pytest
    python=$venv/bin/python
fi

cd "$bindings_dir/python"
ORBIT_TESTBED="$lib_dir/orbit-testbed" PYTHONPATH="$out/generated" \
    exec "$python" -m pytest -q -p no:cacheprovider tests "$@"
