// esbuild bundles of the CLI, in parts, so that a warm click loads three small files and the rest of
// the CLI costs it nothing (issue 11):
//   dist/cli/main.cjs    the entry (src/cli/entry.ts): --version, and the choice between the two below;
//   dist/cli/fast.cjs    the warm click (src/cli/fast.ts) in one file, without code splitting,
//                        loaded with V8's code cache (src/cli/code-cache.ts);
//   dist/cli/full/       the whole CLI (src/cli/main.ts) as ES modules, one chunk per lazily loaded
//                        subcommand;
//   dist/cli/errors.cjs  src/errors.ts, the one copy both of them load, so that an error class is
//                        one class in the whole process (instanceof holds across the bundles).
// The warm path is CommonJS: Node's ES module loader costs ~10 ms to start, which only the full
// CLI then pays (bin/dial3cx.js is CommonJS too, by bin/package.json). What the fast path reaches
// only when a click is not warm (logging in, reading vCards, an odd PBX answer) is not copied into
// fast.cjs: it imports it from full/ (FULL_ENTRIES). A build fails when fast.cjs would contain what
// a click must never load (FAST_FORBIDDEN).
// Used by the build and, so that CLI tests never run a stale bundle, by the test suite's global setup.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { packPhoneMetadata } from "./phone-metadata.mjs";

/** Modules the fast path imports from the full build (by name: dist/cli/full/<name>.js). */
const FULL_ENTRIES = {
  account: "src/features/calls/account.ts",
  "contact-names": "src/features/contacts/contact-names.ts",
  codec: "src/protocol/codec.ts",
  "myphone-api": "src/drivers/webclient/myphone-api.ts",
  outcome: "src/drivers/outcome.ts",
  "zod-mini": "src/features/settings/zod-mini.ts",
};

/** Never in fast.cjs: each would cost a warm click milliseconds it does not need. */
const FAST_FORBIDDEN = [
  /node_modules\/(commander|@commander-js|zod|pino|ws|ical\.js|hono|@hono|@modelcontextprotocol|@inquirer|fzf)\//,
  /node_modules\/@bufbuild\/protobuf\/dist\/esm\/(registry|reflect|codegenv\d)/,
  /^src\/(drivers\/webclient\/driver|drivers\/callcontrol|gateway|sim|mcp)\b/,
];

const ERRORS = "src/errors.ts";

/** Builds into a fresh folder and swaps it in, so a CLI running meanwhile never sees half a build. */
export async function bundleCli() {
  const fresh = `dist/cli-${process.pid}-${Date.now()}`;
  await buildErrors(fresh);
  await buildFull(`${fresh}/full`);
  await buildFast(fresh);
  await buildEntry(fresh);
  const old = `${fresh}-old`;
  if (existsSync("dist/cli")) renameSync("dist/cli", old);
  renameSync(fresh, "dist/cli");
  rmSync(old, { recursive: true, force: true });
}

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  // Native addon: loaded from node_modules at run time.
  external: ["@napi-rs/keyring"],
  logLevel: "warning",
};

/** The CommonJS parts: `import.meta.url` is this file's URL, as in an ES module. */
const commonJs = {
  ...common,
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  define: { "import.meta.url": "__dial3cx_module_url" },
  banner: { js: 'var __dial3cx_module_url = require("node:url").pathToFileURL(__filename).href;' },
};

function buildFull(outdir) {
  return build({
    ...common,
    format: "esm",
    banner: {
      js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
    },
    entryPoints: { main: "src/cli/main.ts", ...FULL_ENTRIES },
    outdir,
    splitting: true,
    // Chunks next to the entries: every file of full/ then finds errors.cjs at ../errors.cjs.
    chunkNames: "[name]-[hash]",
    plugins: [externalModules({ [ERRORS]: "../errors.cjs" }), metadataAsJson],
  });
}

function buildErrors(outdir) {
  // Node reads the names an ES module may import from it off esbuild's CommonJS output.
  return build({ ...commonJs, entryPoints: { errors: ERRORS }, outdir, banner: {}, define: {} });
}

async function buildFast(outdir) {
  const result = await build({
    ...commonJs,
    // Loaded from node_modules when a slow PBX makes a terminal show it (src/cli/progress.ts).
    external: [...common.external, "yocto-spinner"],
    entryPoints: { fast: "src/cli/fast.ts" },
    outdir,
    // Fewer bytes for V8 to read and scan on every click (comments and blanks only: names stay,
    // for readable stack traces in a bug report).
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    plugins: [
      externalModules({
        [ERRORS]: "./errors.cjs",
        ...Object.fromEntries(
          Object.entries(FULL_ENTRIES).map(([name, file]) => [file, `./full/${name}.js`]),
        ),
      }),
      metadataFromFile(outdir),
    ],
  });
  passImports(path.join(outdir, "fast.cjs"));
  const inputs = Object.keys(Object.values(result.metafile.outputs)[0].inputs);
  const forbidden = inputs.filter((input) => FAST_FORBIDDEN.some((pattern) => pattern.test(input)));
  if (forbidden.length > 0) {
    throw new Error(
      `dist/cli/fast.cjs would contain ${forbidden.join(", ")}: the warm click must not load it. Import it dynamically from a module in FULL_ENTRIES (scripts/bundle-cli.mjs) or off the fast path.`,
    );
  }
}

/**
 * fast.cjs runs from V8's code cache (src/cli/code-cache.ts), where a bundle's own `import()` has
 * no loader to call: each becomes `__dial3cx_import(…)`, which the entry passes in.
 */
function passImports(file) {
  const code = readFileSync(file, "utf8");
  const dynamicImport = /(?<![\w$.])import\(/g;
  const count = code.match(dynamicImport)?.length ?? 0;
  const passed = code.replace(dynamicImport, "__dial3cx_import(");
  if (count === 0 || /(?<![\w$.])import\(/.test(passed)) {
    throw new Error(
      `dist/cli/fast.cjs: expected its import() calls to be passed on (found ${count})`,
    );
  }
  writeFileSync(file, passed);
}

/** The entry: it loads fast.cjs (code-cache.ts) and imports full/main.js, each only when needed. */
function buildEntry(outdir) {
  return build({
    ...commonJs,
    entryPoints: { main: "src/cli/entry.ts" },
    outdir,
    plugins: [externalModules({ "src/cli/main.ts": "./full/main.js" })],
  });
}

/** Imports of these source files (relative to the repository) become imports of the given paths. */
function externalModules(byFile) {
  const byPath = new Map(Object.entries(byFile).map(([file, to]) => [path.resolve(file), to]));
  return {
    name: "external-modules",
    setup(builder) {
      builder.onResolve({ filter: /^\.\.?\// }, (args) => {
        const to = byPath.get(path.resolve(args.resolveDir, args.path).replace(/\.js$/, ".ts"));
        return to === undefined ? undefined : { path: to, external: true };
      });
    },
  };
}

/**
 * In fast.cjs, libphonenumber's metadata is a file next to it, packed by country and read when a
 * number first needs it (src/features/calls/phone-metadata.ts): every click would otherwise scan
 * its ~160 KB, most clicks on an extension or a plain national number never need it, and one on
 * a "+" number needs one country's plan.
 */
function metadataFromFile(outdir) {
  return {
    name: "libphonenumber-metadata-from-file",
    setup(builder) {
      builder.onLoad({ filter: METADATA_MODULE }, (args) => {
        const name = `libphonenumber-${path.basename(args.path, ".json.js")}.pack`;
        const metadata = JSON.parse(readFileSync(args.path.replace(/\.js$/, ""), "utf8"));
        mkdirSync(outdir, { recursive: true });
        writeFileSync(path.join(outdir, name), packPhoneMetadata(metadata));
        const reader = JSON.stringify(path.resolve("src/features/calls/phone-metadata.ts"));
        return {
          contents: `import { readPackedPhoneMetadata } from ${reader};\nexport default readPackedPhoneMetadata(require("node:path").join(__dirname, ${JSON.stringify(name)}));`,
          loader: "js",
          resolveDir: path.resolve("."),
        };
      });
    },
  };
}

const METADATA_MODULE = /libphonenumber-js[\\/]metadata\.(max|min|mobile)\.json\.js$/;

/**
 * In the full CLI, libphonenumber's metadata (~160 KB) as JSON.parse of a string instead of an
 * object literal: V8 reads JSON several times faster than it compiles the same literal. The
 * content is byte for byte the package's own JSON.
 */
const metadataAsJson = {
  name: "libphonenumber-metadata-as-json",
  setup(builder) {
    builder.onLoad({ filter: METADATA_MODULE }, (args) => {
      const json = readFileSync(args.path.replace(/\.js$/, ""), "utf8");
      JSON.parse(json); // a broken file fails the build, not a call
      return { contents: `export default JSON.parse(${JSON.stringify(json)});`, loader: "js" };
    });
  },
};
