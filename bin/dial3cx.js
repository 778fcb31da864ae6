#!/usr/bin/env node
// Entry point of the `dial3cx` command: the bundled CLI lives in dist/cli (built by `npm install`).
import "../dist/cli/main.js";
