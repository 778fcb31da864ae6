// Preloaded (node --import) by cli-fast-footprint.test.ts: records which files a CLI run loads
// (through a loader hook, in module-footprint-hooks.mjs) and which of Node's built-in modules it
// compiles after this preload, as JSON lines in $DIAL3CX_TEST_FOOTPRINT.
import { appendFileSync } from "node:fs";
import { register } from "node:module";

register("./module-footprint-hooks.mjs", import.meta.url);
const before = new Set(process.moduleLoadList);
process.on("exit", () => {
  const builtins = process.moduleLoadList
    .filter((name) => !before.has(name) && name.startsWith("NativeModule "))
    .map((name) => name.slice("NativeModule ".length));
  appendFileSync(process.env.DIAL3CX_TEST_FOOTPRINT, `${JSON.stringify({ builtins })}\n`);
});
