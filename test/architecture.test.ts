// The layering of src/, checked on every import: protocol → drivers → features → front ends
// (cli, gateway, web, and index.ts, the library's entry), the simulator beside them. A lower layer
// never imports a higher one; the simulator uses only the wire codec, errors.ts and its own files.
//
// Decisions:
// - errors.ts, version.ts and package-root.ts are shared leaves: any layer may use them, and they
//   import only each other. The simulator may use errors.ts only (it ships as `dial3cx/sim` and
//   needs nothing else); it imports neither version.ts nor package-root.ts today.
// - Only the front ends may import the simulator (`dial3cx sim`, the gateway's test harness):
//   protocol, drivers and features never depend on it.
// - Test files (*.test.ts) are not checked: they wire up the whole stack on purpose (a driver
//   tested through the real client, a feature against a running gateway and the simulator).
//   Test support modules that are not *.test.ts (gateway/testing.ts, sim/testing.ts) are checked.
// - A file directly in src/ that is not one of the leaves or index.ts has no place yet and fails,
//   so a new top-level module is placed on purpose. Imports that leave src/ are not judged.
// - Imports are read with TypeScript's own pre-processor (static import, `export … from`,
//   side-effect imports, `import type`, dynamic `import("…")`), so comments and strings that
//   merely look like imports do not count.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(import.meta.dirname, "../src");

type Place = "protocol" | "drivers" | "features" | "front end" | "sim" | "leaf";

/** The layers in order, lowest first; the simulator and the leaves stand beside them. */
const RANK: Partial<Record<Place, number>> = {
  protocol: 0,
  drivers: 1,
  features: 2,
  "front end": 3,
};
const FOLDERS: Record<string, Place> = {
  protocol: "protocol",
  drivers: "drivers",
  features: "features",
  cli: "front end",
  gateway: "front end",
  web: "front end",
  sim: "sim",
};
const TOP_LEVEL: Record<string, Place> = {
  "errors.ts": "leaf",
  "version.ts": "leaf",
  "package-root.ts": "leaf",
  "index.ts": "front end",
};
/** The leaves the simulator may use. */
const SIM_LEAVES = new Set(["errors.ts"]);

interface ImportRef {
  /** The importing file, relative to src/ with forward slashes: "features/calls/client.ts". */
  file: string;
  /** The specifier as written: "../../drivers/driver.js". */
  specifier: string;
}

/** Where a file (relative to src/) belongs; undefined for a file outside every layer. */
function placeOf(file: string): Place | undefined {
  const [first, ...rest] = file.split("/");
  if (first === undefined) return undefined;
  if (rest.length === 0) return TOP_LEVEL[first.replace(/\.js$/, ".ts")];
  return FOLDERS[first];
}

/** One line per import that runs against the layering, naming the file and the import. */
function layerViolations(imports: readonly ImportRef[]): string[] {
  const problems: string[] = [];
  for (const { file, specifier } of imports) {
    if (!specifier.startsWith(".")) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    if (target.startsWith("../")) continue;
    const targetFile = target.replace(/\.js$/, ".ts");
    const why = refusal(file, targetFile);
    if (why) problems.push(`src/${file} imports "${specifier}" (src/${targetFile}): ${why}`);
  }
  return problems;
}

function refusal(file: string, target: string): string | undefined {
  const from = placeOf(file);
  const to = placeOf(target);
  if (from === undefined) return `src/${file} is in no layer: place it in the architecture test`;
  if (to === undefined) return `src/${target} is in no layer: place it in the architecture test`;
  if (from === to) return undefined;
  if (from === "sim") {
    if (to === "protocol" || (to === "leaf" && SIM_LEAVES.has(target))) return undefined;
    return "the simulator may use only src/protocol, src/errors.ts and its own files";
  }
  if (to === "leaf") return undefined;
  if (from === "leaf")
    return "the shared leaves (errors, version, package-root) import only each other";
  if (to === "sim") {
    return from === "front end" ? undefined : `${from} may not import the simulator`;
  }
  if (RANK[to]! > RANK[from]!) return `${from} may not import ${to} (a higher layer)`;
  return undefined;
}

/** Every relative import of a source text, comments and strings aside. */
function importsOf(file: string, text: string): ImportRef[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((ref) => ({ file, specifier: ref.fileName }));
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(m|c)?tsx?$/.test(e.name) && !/\.d\.(m|c)?ts$/.test(e.name))
    .map((e) => path.relative(SRC, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

async function treeImports(): Promise<{ files: string[]; imports: ImportRef[] }> {
  const files = (await sourceFiles(SRC)).filter((f) => !/\.test\.(m|c)?tsx?$/.test(f));
  const imports: ImportRef[] = [];
  for (const file of files) {
    imports.push(...importsOf(file, await readFile(path.join(SRC, file), "utf8")));
  }
  return { files, imports };
}

describe("the layering of src/", () => {
  it("has no import that runs up a layer, out of the simulator, or into it from below", async () => {
    const { files, imports } = await treeImports();
    // Not vacuous: the walk found the tree and its imports in every layer.
    expect(files.length).toBeGreaterThan(100);
    const places = new Set(imports.map((i) => placeOf(i.file)));
    for (const place of ["protocol", "drivers", "features", "front end", "sim"] as const) {
      expect(places).toContain(place);
    }
    expect(layerViolations(imports)).toEqual([]);
  });

  it("places every file of src/ in a layer", async () => {
    const unplaced = (await sourceFiles(SRC)).filter(
      (f) => !/\.test\.(m|c)?tsx?$/.test(f) && placeOf(f) === undefined,
    );
    expect(unplaced).toEqual([]);
  });
});

describe("layerViolations", () => {
  const check = (file: string, specifier: string) => layerViolations([{ file, specifier }]);

  it("names the file, the import and the rule for an import that runs up a layer", () => {
    expect(check("features/desktop/gateway-handoff.ts", "../../gateway/tokens.js")).toEqual([
      'src/features/desktop/gateway-handoff.ts imports "../../gateway/tokens.js" (src/gateway/tokens.ts): features may not import front end (a higher layer)',
    ]);
    expect(check("drivers/webclient/driver.ts", "../../features/calls/client.js")).toHaveLength(1);
    expect(check("protocol/codec.ts", "../drivers/driver.js")).toHaveLength(1);
    expect(check("features/calls/client.ts", "../../cli/format.js")).toHaveLength(1);
    expect(check("features/calls/client.ts", "../../web/sse.js")).toHaveLength(1);
    expect(check("drivers/driver.ts", "../index.js")).toHaveLength(1);
  });

  it("lets each layer use its own and every lower layer, and the shared leaves", () => {
    const allowed: Array<[string, string]> = [
      ["cli/main.ts", "../features/calls/client.js"],
      ["cli/commands/serve.ts", "../../gateway/index.js"],
      ["gateway/api/calls.ts", "../../features/calls/client.js"],
      ["gateway/server.ts", "../drivers/driver.js"],
      ["index.ts", "./features/calls/client.js"],
      ["features/doctor/checks.ts", "../../drivers/probe.js"],
      ["features/doctor/checks.ts", "../calls/account.js"],
      ["drivers/webclient/driver.ts", "../../protocol/codec.js"],
      ["protocol/codec.ts", "../errors.js"],
      ["features/settings/paths.ts", "../../package-root.js"],
      ["package-root.ts", "./errors.js"],
      ["cli/commands/sim.ts", "../../sim/index.js"],
      ["gateway/testing.ts", "../sim/index.js"],
      ["sim/pbx.ts", "../protocol/gen/myphone_pb.js"],
      ["sim/server.ts", "../errors.js"],
      ["sim/replies.ts", "./model.js"],
      ["features/calls/client.ts", "node:events"],
      ["features/settings/config.ts", "smol-toml"],
    ];
    for (const [file, specifier] of allowed) expect(check(file, specifier)).toEqual([]);
  });

  it("keeps the simulator to the protocol, errors.ts and itself", () => {
    expect(check("sim/pbx.ts", "../drivers/driver.js")).toHaveLength(1);
    expect(check("sim/pbx.ts", "../features/calls/dialstring.js")).toHaveLength(1);
    expect(check("sim/server.ts", "../gateway/security.js")).toHaveLength(1);
    expect(check("sim/server.ts", "../version.js")).toEqual([
      'src/sim/server.ts imports "../version.js" (src/version.ts): the simulator may use only src/protocol, src/errors.ts and its own files',
    ]);
  });

  it("keeps the simulator out of protocol, drivers and features", () => {
    expect(check("features/calls/client.ts", "../../sim/index.js")).toHaveLength(1);
    expect(check("drivers/probe.ts", "../sim/http.js")).toHaveLength(1);
    expect(check("protocol/codec.ts", "../sim/pbx.js")).toHaveLength(1);
  });

  it("keeps the shared leaves free of the layers", () => {
    expect(check("errors.ts", "./drivers/driver.js")).toHaveLength(1);
    expect(check("version.ts", "./features/settings/paths.js")).toHaveLength(1);
  });

  it("refuses a top-level file that has no place", () => {
    expect(check("helpers.ts", "./errors.js")).toHaveLength(1);
    expect(check("features/calls/client.ts", "../../helpers.js")).toHaveLength(1);
  });
});

describe("importsOf", () => {
  it("reads static, type-only, re-export, side-effect and dynamic imports, not comments", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      'export * from "./c.js";',
      'export { d } from "./d.js";',
      'import "./e.js";',
      'const f = await import("../f.js");',
      'type G = typeof import("./g.js");',
      '// import { h } from "../../gateway/h.js";',
      '/* await import("../../cli/i.js") */',
      "const s = \"import x from './j.js'\";",
    ].join("\n");
    expect(importsOf("features/x.ts", text).map((i) => i.specifier)).toEqual([
      "./a.js",
      "../b.js",
      "./c.js",
      "./d.js",
      "./e.js",
      "../f.js",
      "./g.js",
    ]);
  });

  it("catches a planted dynamic import that runs up a layer", () => {
    const text = 'export async function f() {\n  return import("../../gateway/index.js");\n}\n';
    expect(layerViolations(importsOf("features/calls/x.ts", text))).toHaveLength(1);
  });
});
