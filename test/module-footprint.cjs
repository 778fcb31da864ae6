// Preloaded (node --require) by cli-fast-footprint.test.ts: records which files a CLI run loads
// (CommonJS: require.cache; ES modules: whether Node's ES module loader started at all) and which
// of Node's built-in modules it compiles after this preload, as one JSON line in
// $DIAL3CX_TEST_FOOTPRINT.
const { appendFileSync } = require("node:fs");

const before = new Set(process.moduleLoadList);
process.on("exit", () => {
  const loaded = process.moduleLoadList.filter((name) => !before.has(name));
  const builtins = loaded
    .filter((name) => name.startsWith("NativeModule "))
    .map((name) => name.slice("NativeModule ".length));
  const footprint = {
    files: Object.keys(require.cache).filter((file) => file !== __filename),
    // Running an ES module compiles its translators and module jobs (a CommonJS main may compile
    // the loader module itself, not start it).
    esmLoader: builtins.includes("internal/modules/esm/module_job"),
    builtins,
  };
  appendFileSync(process.env.DIAL3CX_TEST_FOOTPRINT, `${JSON.stringify(footprint)}\n`);
});
