// esbuild bundles of the CLI, in parts, so that a warm click loads three small files and the rest of
// the CLI costs it nothing (issue 11):
//   dist/cli/main.js    the entry (src/cli/entry.ts): --version, and the choice between the two below;
//   dist/cli/fast.js    the warm click (src/cli/fast.ts) in one file, without code splitting;
//   dist/cli/full/      the whole CLI (src/cli/main.ts), one chunk per lazily loaded subcommand;
//   dist/cli/errors.js  src/errors.ts, the one copy both of them import, so that an error class is
//                       one class in the whole process (instanceof holds across the bundles).
// What the fast path reaches only when a click is not warm (logging in, reading vCards, an odd PBX
// answer) is not copied into fast.js: fast.js imports it from full/ (FULL_ENTRIES). A build fails
// when fast.js would contain what a click must never load (FAST_FORBIDDEN).
// Used by the build and, so that CLI tests never run a stale bundle, by the test suite's global setup.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

/** Modules the fast path imports from the full build (by name: dist/cli/full/<name>.js). */
const FULL_ENTRIES = {
  account: "src/features/calls/account.ts",
  "contact-names": "src/features/contacts/contact-names.ts",
  codec: "src/protocol/codec.ts",
  "myphone-api": "src/drivers/webclient/myphone-api.ts",
  outcome: "src/drivers/outcome.ts",
  "zod-mini": "src/features/settings/zod-mini.ts",
};

/** Never in fast.js: each would cost a warm click milliseconds it does not need. */
const FAST_FORBIDDEN = [
  /node_modules\/(commander|@commander-js|zod|pino|ws|ical\.js|hono|@hono|@modelcontextprotocol|@inquirer|fzf)\//,
  /node_modules\/@bufbuild\/protobuf\/dist\/esm\/(registry|reflect|codegenv\d)/,
  /^src\/(drivers\/webclient\/driver|drivers\/callcontrol|gateway|sim|mcp)\b/,
];

const NODE_BANNER = {
  js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
};

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
  format: "esm",
  platform: "node",
  target: "node20",
  // Native addon: loaded from node_modules at run time.
  external: ["@napi-rs/keyring"],
  banner: NODE_BANNER,
  logLevel: "warning",
};

function buildFull(outdir) {
  return build({
    ...common,
    entryPoints: { main: "src/cli/main.ts", ...FULL_ENTRIES },
    outdir,
    splitting: true,
    // Chunks next to the entries: every file of full/ then finds errors.js at ../errors.js.
    chunkNames: "[name]-[hash]",
    plugins: [externalModules({ [ERRORS]: "../errors.js" }), metadataAsJson],
  });
}

function buildErrors(outdir) {
  return build({ ...common, entryPoints: { errors: ERRORS }, outdir, banner: {} });
}

async function buildFast(outdir) {
  const result = await build({
    ...common,
    // Loaded from node_modules when a slow PBX makes a terminal show it (src/cli/progress.ts).
    external: [...common.external, "yocto-spinner"],
    entryPoints: { fast: "src/cli/fast.ts" },
    outdir,
    splitting: false,
    // Fewer bytes for V8 to read and scan on every click (comments and blanks only: names stay,
    // for readable stack traces in a bug report).
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    plugins: [
      externalModules({
        [ERRORS]: "./errors.js",
        ...Object.fromEntries(
          Object.entries(FULL_ENTRIES).map(([name, file]) => [file, `./full/${name}.js`]),
        ),
      }),
      builtinsOnFirstUse,
      metadataFromFile(outdir),
    ],
  });
  const inputs = Object.keys(Object.values(result.metafile.outputs)[0].inputs);
  const forbidden = inputs.filter((input) => FAST_FORBIDDEN.some((pattern) => pattern.test(input)));
  if (forbidden.length > 0) {
    throw new Error(
      `dist/cli/fast.js would contain ${forbidden.join(", ")}: the warm click must not load it. Import it dynamically from a module in FULL_ENTRIES (scripts/bundle-cli.mjs) or off the fast path.`,
    );
  }
}

/** The entry: its only imports are fast.js and full/main.js, loaded when needed. */
function buildEntry(outdir) {
  const routes = { "./fast.js": "./fast.js", "./main.js": "./full/main.js" };
  return build({
    ...common,
    entryPoints: { main: "src/cli/entry.ts" },
    outdir,
    splitting: false,
    banner: {},
    plugins: [
      {
        name: "entry-routes",
        setup(builder) {
          builder.onResolve({ filter: /^\.\/(fast|main)\.js$/ }, (args) =>
            args.importer.endsWith(path.join("src", "cli", "entry.ts"))
              ? { path: routes[args.path], external: true }
              : undefined,
          );
        },
      },
    ],
  });
}

const ERRORS = "src/errors.ts";

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
 * In fast.js, some of Node's built-in modules are require()d when the module using them first
 * runs, instead of imported up front. An ESM import of a built-in loads it before anything runs
 * and reads every export, lazy ones included: node:util loads its parseArgs and MIMEType modules,
 * node:process its report, node:crypto WebCrypto. node:https and node:tls serve only a direct
 * call (a call handed to the gateway needs neither), node:child_process only a notification or a
 * password command. Measured: a warm call compiled 27 built-in modules more than the floor,
 * ~20 ms. (Not all built-ins: a require()d one is copied into an ES module object where it is
 * used, which costs more than the import for those every click needs, such as node:fs or node:http.)
 */
const builtinsOnFirstUse = {
  name: "builtins-on-first-use",
  setup(builder) {
    builder.onResolve(
      { filter: /^node:(child_process|crypto|https|process|tls|tty|util)$/ },
      (args) =>
        args.namespace === "builtin" ? undefined : { path: args.path, namespace: "builtin" },
    );
    builder.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/**
 * In fast.js, libphonenumber's metadata is a JSON file next to it, read when a number first needs
 * it: every click would otherwise scan its ~160 KB, and most clicks on an extension or a plain
 * national number never need it.
 */
function metadataFromFile(outdir) {
  return {
    name: "libphonenumber-metadata-from-file",
    setup(builder) {
      builder.onLoad({ filter: METADATA_MODULE }, (args) => {
        const name = `libphonenumber-${path.basename(args.path, ".js")}`;
        mkdirSync(outdir, { recursive: true });
        copyFileSync(args.path.replace(/\.js$/, ""), path.join(outdir, name));
        return {
          contents: `import { readFileSync } from "node:fs";\nexport default JSON.parse(readFileSync(new URL(${JSON.stringify(`./${name}`)}, import.meta.url), "utf8"));`,
          loader: "js",
        };
      });
    },
  };
}

const METADATA_MODULE = /libphonenumber-js[\\/]metadata\.(max|min|mobile)\.json\.js$/;

/**
 * libphonenumber's metadata (~160 KB) as JSON.parse of a string instead of an object literal:
 * V8 reads JSON several times faster than it compiles the same literal, which a warm click
 * dialling a "+" number pays for. The content is byte for byte the package's own JSON.
 */
const metadataAsJson = {
  name: "libphonenumber-metadata-as-json",
  setup(builder) {
    builder.onLoad(
      { filter: /libphonenumber-js[\\/]metadata\.(max|min|mobile)\.json\.js$/ },
      (args) => {
        const json = readFileSync(args.path.replace(/\.js$/, ""), "utf8");
        JSON.parse(json); // a broken file fails the build, not a call
        return { contents: `export default JSON.parse(${JSON.stringify(json)});`, loader: "js" };
      },
    );
  },
};
