#!/usr/bin/env bash
# Installs the system tools the tests use when the machine lacks them: the psql client (SQL steps run
# through it), `script` (util-linux, the ECS Exec simulator's pty) and moto_server (CloudWatch Logs stand-in).
set -euo pipefail
need_apt=()
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v script >/dev/null || need_apt+=(util-linux)
command -v base64 >/dev/null || need_apt+=(coreutils)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
# Only reach PyPI when moto is really missing: CI machines that already have it may have no route to PyPI.
if ! command -v moto_server >/dev/null && ! python3 -c 'import moto.server' 2>/dev/null; then
  python3 -m pip install --quiet "moto[server]" || {
    echo "moto_server is missing and could not be installed: the CloudWatch Logs tests need it (pip install 'moto[server]')." >&2
    exit 1
  }
fi
