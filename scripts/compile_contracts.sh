#!/usr/bin/env bash
# Compile octant/chain/contracts/Octant.sol into octant/chain/contracts/compiled.json (ABI and bytecode per
# contract) with solc-js 0.8.24 from npm, installed in a scratch folder outside the checkout. Only needed
# after editing the Solidity; tests use the committed JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
SOLC_DIR=${SOLC_DIR:-${TMPDIR:-/tmp}/octant-solc}
if [ ! -f "$SOLC_DIR/node_modules/solc/package.json" ]; then
  mkdir -p "$SOLC_DIR"
  npm install --prefix "$SOLC_DIR" --no-save --silent solc@0.8.24
fi
NODE_PATH="$SOLC_DIR/node_modules" node - <<'JS'
const fs = require("fs");
const solc = require("solc");
const source = "octant/chain/contracts/Octant.sol";
const input = {
  language: "Solidity",
  sources: { "Octant.sol": { content: fs.readFileSync(source, "utf8") } },
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "paris",
              outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) { errors.forEach((e) => console.error(e.formattedMessage)); process.exit(1); }
const out = { compiler: "solc " + solc.version(), contracts: {} };
for (const [name, c] of Object.entries(output.contracts["Octant.sol"])) {
  if (c.evm.bytecode.object) out.contracts[name] = { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
}
fs.writeFileSync("octant/chain/contracts/compiled.json", JSON.stringify(out, null, 1) + "\n");
console.log("compiled", Object.keys(out.contracts).join(", "));
JS
