# Sourced by the scripts: makes .venv with the project (editable, signals compiled by mypyc)
# and its dev and bench extras. Re-installs when the build inputs changed since the last time.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# the build inputs: the project files and every module setup.py compiles (its COMPILED list: a
# stale compiled module would shadow its edited source)
build_inputs="pyproject.toml setup.py $(sed -n 's/^ *"\(tlsync_[a-z_/]*\.py\)",$/\1/p' setup.py)"
# shellcheck disable=SC2086
stamp=.venv/.installed-$(cat $build_inputs | sha1sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
    echo "installing tlsync and its dev tools into .venv (compiling the signals graph)..."
    python -m pip install -q --upgrade pip || return 1
    python -m pip install -q -e ".[dev,bench]" || return 1
    rm -f .venv/.installed-*
    touch "$stamp"
fi
