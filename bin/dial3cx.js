#!/usr/bin/env node
// Entry point of the `dial3cx` command: the bundled CLI lives in dist/cli (built by `npm install`).
// CommonJS (bin/package.json), as is the warm-click path it starts: Node's ES module loader starts
// only when the full CLI is needed (see src/cli/entry.ts).
require("../dist/cli/main.cjs");
