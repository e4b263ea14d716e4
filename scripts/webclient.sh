#!/usr/bin/env bash
# Octant's web client against the running service, in one command:
#   bash scripts/webclient.sh [OCTANT_CHECKOUT]      (default ../shared/octant-client)
# OCTANT_CHECKOUT is a checkout of golemfoundation/octant (its client/, package.json and yarn.lock; not part of
# this project, GPL-3.0): it is copied to var/webclient/octant (writable; the checkout is only read),
# patched with the checkout's patches/revert-2fc74adad.patch (the full UI instead of the migration hub) when
# it has one, stripped of its test and lint devDependencies and its install/build hooks, installed with yarn
# 1 and built with vite, with every endpoint at the service's origin: its /rpc, /subgraphs/name/octant,
# /ipfs/, /cps/ and Safe Transaction Service, and the contract addresses of its /info/chain-info. Then it
# serves client/dist on $HOST:$WEBCLIENT_PORT (a single-page app; /api/v1/ goes to the service), the service
# being the run command's at $HOST:$PORT (default 127.0.0.1:8000; the client at 127.0.0.1:5173).
# Caches: node_modules (keyed by the digest of package.json + yarn.lock) and the built dist (keyed by the
# source and the settings) in var/webclient and in ${XDG_CACHE_HOME:-$HOME/.cache}/octant-webclient, which
# every checkout of the machine shares with the yarn cache.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOUT="$(cd "${1:-$HERE/../shared/octant-client}" 2>/dev/null && pwd)" || {
  echo "No Octant checkout at ${1:-$HERE/../shared/octant-client} (pass its path)." >&2; exit 2; }
cd "$HERE"
[ -f "$CHECKOUT/client/package.json" ] && [ -f "$CHECKOUT/client/yarn.lock" ] || {
  echo "$CHECKOUT has no client/package.json and client/yarn.lock: not an Octant checkout." >&2; exit 2; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || node_major=0
[ "$node_major" -ge 20 ] || { echo "The client needs Node.js 20 or later (node --version)." >&2; exit 2; }

BACKEND="http://${HOST:-127.0.0.1}:${PORT:-8000}"
CLIENT="http://${HOST:-127.0.0.1}:${WEBCLIENT_PORT:-5173}"
WORK="$HERE/var/webclient"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/octant-webclient"
mkdir -p "$WORK" "$CACHE"
digest() { sha256sum | cut -c1-16; }
copy() { cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }; }  # hard links where it can
cached() {  # cached KIND KEY DEST: DEST from the machine's cache, if it holds KIND (node_modules, dist) for KEY
  [ -f "$CACHE/$1/$2/.octant-key" ] && copy "$CACHE/$1/$2" "$3" && touch "$CACHE/$1/$2"
}
cache() {  # cache KIND KEY SRC KEEP: SRC into the machine's cache, which keeps the KEEP last used of KIND
  mkdir -p "$CACHE/$1"
  local new; new=$(mktemp -d "$CACHE/$1/.new.XXXXXX")  # whole or not at all, beside a concurrent run
  [ -f "$CACHE/$1/$2/.octant-key" ] || rm -rf "${CACHE:?}/$1/$2"  # (an unfinished copy of an older script)
  rmdir "$new" && copy "$3" "$new" && mv -T "$new" "$CACHE/$1/$2" 2>/dev/null || rm -rf "$new"
  ls -1t "$CACHE/$1" | tail -n +"$(($4 + 1))" | while read -r old; do rm -rf "${CACHE:?}/$1/$old"; done
}

# --- The service's settings (it must be running: the addresses and chain id are its own)
info=$(curl -fsS --max-time 10 "$BACKEND/info/chain-info") || {
  echo "The service does not answer at $BACKEND/info/chain-info: start it first (bash scripts/run.sh)," \
       "or set HOST and PORT to where it runs." >&2; exit 1; }
settings=$(INFO="$info" BACKEND="$BACKEND" CLIENT="$CLIENT" node -e '
  const info = JSON.parse(process.env.INFO), o = process.env.BACKEND;
  const at = Object.fromEntries(info.smartContracts.map(c => [c.name, c.address]));
  const network = {1: "Mainnet", 11155111: "Sepolia"}[info.chainId] || "Local";
  const s = {
    VITE_NETWORK: network, VITE_SERVER_ENDPOINT: `${o}/`, VITE_WEBSOCKET_ENDPOINT: `${o}/`,
    VITE_JSON_RPC_ENDPOINT: `${o}/rpc`, VITE_SUBGRAPH_ADDRESS: `${o}/subgraphs/name/octant`,
    VITE_IPFS_GATEWAYS: `${o}/ipfs/`, VITE_CRYPTO_VALUES_ENDPOINT: `${o}/cps/`, VITE_SAFE_ENDPOINT: `${o}/`,
    VITE_GLM_ADDRESS: at.GLM, VITE_DEPOSITS_ADDRESS: at.Deposits, VITE_EPOCHS_ADDRESS: at.Epochs,
    VITE_PROPOSALS_ADDRESS: at.Projects, VITE_VAULT_ADDRESS: at.Vault,
    VITE_CLIENT_ENDPOINT: `${process.env.CLIENT}/`,
    VITE_ARE_CURRENT_EPOCHS_PROJECTS_HIDDEN_OUTSIDE_ALLOCATION_WINDOW: "false",
    // hosted providers, required to be non-empty by the client: Alchemy serves the ENS lookups of RainbowKit on
    // mainnet (without a key of yours they fail: the client toasts "Sorry, something went wrong there")
    VITE_ALCHEMY_ID: process.env.VITE_ALCHEMY_ID || "unused",
    VITE_WALLET_CONNECT_PROJECT_ID: process.env.VITE_WALLET_CONNECT_PROJECT_ID || "unused",
    // Octant v2 staking, whose minimum the client reads for its migration status: the local chain has one
    VITE_REGEN_STAKER_ADDRESS: at.RegenStaker || "0x0000000000000000000000000000000000000000",
    VITE_SUBGRAPH_REGEN_STAKER_ADDRESS: `${o}/subgraphs/name/regen-staker`, VITE_REGEN_STAKER_URL: `${o}/`,
  };
  const missing = Object.keys(s).filter(k => !s[k]);
  if (missing.length) { console.error(`/info/chain-info lacks ${missing}`); process.exit(1); }
  for (const [k, v] of Object.entries(s)) console.log(`${k}=${v}`);')

# --- The source: a writable copy of client/ (+ the root's package.json, yarn.lock, tsconfig.json), patched
PATCH="$CHECKOUT/patches/revert-2fc74adad.patch"
[ -f "$PATCH" ] || PATCH=""
source_digest=$( { cat "$0"; [ -z "$PATCH" ] || cat "$PATCH";
  cd "$CHECKOUT" && find client package.json yarn.lock tsconfig.json \
    \( -path client/node_modules -o -path client/dist -o -name '.env*' \) -prune -o -type f -print 2>/dev/null \
    | LC_ALL=C sort | xargs -d '\n' sha256sum; } | digest)
SRC="$WORK/octant"
if [ "$(cat "$SRC/.source" 2>/dev/null)" != "$source_digest" ]; then
  echo "Copying the client from $CHECKOUT to $SRC..."
  [ ! -d "$SRC/client/node_modules" ] || mv "$SRC/client/node_modules" "$WORK/node_modules.keep"
  rm -rf "$SRC" && mkdir -p "$SRC"
  tar -C "$CHECKOUT" --exclude=client/node_modules --exclude=client/dist -cf - \
      client $(cd "$CHECKOUT" && ls package.json yarn.lock tsconfig.json 2>/dev/null) | tar -C "$SRC" -xf -
  chmod -R u+w "$SRC"
  find "$SRC/client" -maxdepth 1 -name '.env*' ! -name '.env*template' -delete  # the settings are ours
  if [ -n "$PATCH" ]; then  # (git apply as outside any repository: inside ours it would skip every file)
    if (cd "$SRC" && GIT_CEILING_DIRECTORIES="$WORK" git apply --check "$PATCH" 2>/dev/null); then
      (cd "$SRC" && GIT_CEILING_DIRECTORIES="$WORK" git apply "$PATCH") && echo "Applied $(basename "$PATCH") (the full UI)."
    elif ! (cd "$SRC" && GIT_CEILING_DIRECTORIES="$WORK" git apply --check --reverse "$PATCH" 2>/dev/null); then
      echo "$PATCH does not apply to $CHECKOUT." >&2; exit 1
    fi
  fi
  # no test or lint tooling, no install/build hooks (they install the root's packages and run codegen)
  node -e '
    const fs = require("fs"), file = process.argv[1], p = JSON.parse(fs.readFileSync(file));
    const unused = /synpress|cypress|jest|eslint|graphql-codegen|testing-library|prettier|chai/;
    p.devDependencies = Object.fromEntries(Object.entries(p.devDependencies || {}).filter(([n]) => !unused.test(n)));
    p.scripts = Object.fromEntries(Object.entries(p.scripts || {}).filter(([n]) => !/^(pre|post)|^prepare$/.test(n)));
    delete p.resolutions;
    fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");' "$SRC/client/package.json"
  [ ! -d "$WORK/node_modules.keep" ] || mv "$WORK/node_modules.keep" "$SRC/client/node_modules"
  echo "$source_digest" > "$SRC/.source"
fi

# --- node_modules: this checkout's, else the machine's copy, else yarn (its cache is the machine's)
deps=$( { cat "$SRC/client/package.json" "$SRC/client/yarn.lock"; echo "node $node_major"; } | digest)
MODULES="$SRC/client/node_modules"
if [ "$(cat "$MODULES/.octant-key" 2>/dev/null)" != "$deps" ]; then
  rm -rf "$MODULES"
  if cached node_modules "$deps" "$MODULES"; then
    echo "Took node_modules from the machine's cache ($CACHE/node_modules/$deps)."
  else
    if command -v yarn >/dev/null 2>&1 && yarn --version 2>/dev/null | grep -q '^1\.'; then
      YARN=(yarn)
    else
      [ -x "$CACHE/yarn-cli/node_modules/.bin/yarn" ] || {
        echo "Installing yarn 1 into $CACHE/yarn-cli..."
        npm install --silent --no-audit --no-fund --prefix "$CACHE/yarn-cli" yarn@1 >/dev/null; }
      YARN=("$CACHE/yarn-cli/node_modules/.bin/yarn")
    fi
    echo "Installing the client's packages with yarn (first run on this machine: a few minutes)..."
    start=$SECONDS
    (cd "$SRC/client" && "${YARN[@]}" install --ignore-scripts --pure-lockfile --non-interactive \
        --network-timeout 600000 --cache-folder "$CACHE/yarn") >"$WORK/install.log" 2>&1 ||
      { tail -40 "$WORK/install.log" >&2; echo "yarn install failed (log: $WORK/install.log)." >&2; exit 1; }
    echo "Installed in $((SECONDS - start)) s."
    echo "$deps" > "$MODULES/.octant-key"
    cache node_modules "$deps" "$MODULES" 2
  fi
fi

# --- dist: rebuilt only when the source or the settings change (the machine's copy first)
build=$(printf '%s\n%s\n%s\n' "$source_digest" "$deps" "$settings" | digest)
DIST="$SRC/client/dist"
if [ "$(cat "$DIST/.octant-key" 2>/dev/null)" != "$build" ]; then
  rm -rf "$DIST"
  if cached dist "$build" "$DIST"; then
    echo "Took the built client from the machine's cache ($CACHE/dist/$build)."
  else
    echo "Building the client with vite for $BACKEND (a few minutes)..."
    start=$SECONDS
    (cd "$SRC/client" && node_modules/.bin/json2ts -i src/resources/schema -o src/types/gen \
        --cwd src/resources/schema &&
     env $settings NODE_OPTIONS=--max-old-space-size=4096 node_modules/.bin/vite build) >"$WORK/build.log" 2>&1 ||
      { tail -40 "$WORK/build.log" >&2; echo "The build failed (log: $WORK/build.log)." >&2; exit 1; }
    find "$DIST" -name '*.map' -delete
    echo "$build" > "$DIST/.octant-key"
    echo "Built in $((SECONDS - start)) s."
    cache dist "$build" "$DIST" 3
  fi
fi

exec python3 "$HERE/scripts/webclient_serve.py" "$DIST" --backend "$BACKEND" \
  --host "${HOST:-127.0.0.1}" --port "${WEBCLIENT_PORT:-5173}"
