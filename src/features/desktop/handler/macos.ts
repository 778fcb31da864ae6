// The tel:/callto:/sip: handler on macOS: an AppleScript applet bundle (~/Applications/dial3cx.app)
// whose `on open location` runs `dial3cx open <url>`, declared for the schemes through
// CFBundleURLTypes, registered with LaunchServices and made the default handler.
// NOT YET TRIED ON A REAL MAC: the generators are unit-tested on what they produce; the install
// and uninstall functions only run on darwin and have never been run.
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../../errors.js";
import { appleScriptString } from "../applescript.js";
import {
  deleteHandlerState,
  type HandlerState,
  readHandlerState,
  writeHandlerState,
} from "./handler-state.js";
import { runTool, ToolFailedError, ToolMissingError } from "./tools.js";
import {
  type HandlerReport,
  type HandlerStatus,
  type InstallOptions,
  SCHEMES,
  type Scheme,
  type SchemeRestore,
  type UninstallReport,
} from "./types.js";

/** LaunchServices stores bundle ids lowercased; this one already is. */
export const MACOS_BUNDLE_ID = "io.github.dial3cx.handler";
export const LSREGISTER =
  "/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister";

export interface MacosLauncher {
  /** Absolute path of node: `do shell script` runs with a bare PATH (/usr/bin:/bin:...), where
   * `#!/usr/bin/env node` would not find a Homebrew or nvm node. */
  nodePath: string;
  /** Absolute path of bin/dial3cx.js. */
  scriptPath: string;
  confirm?: boolean;
}

export function macosAppPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME || os.homedir(), "Applications", "dial3cx.app");
}

export { appleScriptString } from "../applescript.js";

export function macosAppletSource(launcher: MacosLauncher): string {
  const command = [
    `quoted form of ${appleScriptString(launcher.nodePath)}`,
    `" "`,
    `quoted form of ${appleScriptString(launcher.scriptPath)}`,
    `" open "`,
    "quoted form of theURL",
    ...(launcher.confirm ? [`" --confirm"`] : []),
  ].join(" & ");
  return [
    "-- dial3cx: click-to-call on your 3CX desk phone. Written by `dial3cx handler install`.",
    "on open location theURL",
    "\ttry",
    `\t\tdo shell script ${command}`,
    "\ton error",
    "\t\t-- dial3cx open reports its own errors as notifications; no second dialog.",
    "\tend try",
    "end open location",
    "",
  ].join("\n");
}

/** The CFBundleURLTypes value for Info.plist, as the XML `plutil -replace ... -xml` takes. */
export function macosUrlTypesXml(schemes: readonly Scheme[]): string {
  const schemeLines = schemes.map((scheme) => `\t\t\t<string>${scheme}</string>`);
  return [
    "<array>",
    "\t<dict>",
    "\t\t<key>CFBundleURLName</key>",
    "\t\t<string>dial3cx phone links</string>",
    "\t\t<key>CFBundleURLSchemes</key>",
    "\t\t<array>",
    ...schemeLines,
    "\t\t</array>",
    "\t</dict>",
    "</array>",
  ].join("\n");
}

/**
 * The commands that build and register the applet, in order: compile, give it our bundle id,
 * URL types and no Dock icon, re-sign ad hoc (editing Info.plist breaks osacompile's signature),
 * then register it with LaunchServices.
 */
export function macosBuildCommands(
  appPath: string,
  sourcePath: string,
  schemes: readonly Scheme[],
): string[][] {
  const plist = path.join(appPath, "Contents", "Info.plist");
  return [
    ["osacompile", "-o", appPath, sourcePath],
    ["plutil", "-replace", "CFBundleIdentifier", "-string", MACOS_BUNDLE_ID, plist],
    ["plutil", "-replace", "CFBundleURLTypes", "-xml", macosUrlTypesXml(schemes), plist],
    ["plutil", "-replace", "LSUIElement", "-bool", "YES", plist],
    ["codesign", "--force", "--sign", "-", appPath],
    [LSREGISTER, "-f", appPath],
  ];
}

/** JXA that makes `bundleId` the default handler of `scheme`; prints LaunchServices' status. */
export function macosSetDefaultScript(scheme: Scheme, bundleId: string): string {
  return [
    'ObjC.import("CoreServices");',
    'ObjC.bindFunction("LSSetDefaultHandlerForURLScheme", ["int", ["id", "id"]]);',
    `String($.LSSetDefaultHandlerForURLScheme($(${JSON.stringify(scheme)}), $(${JSON.stringify(bundleId)})));`,
  ].join("\n");
}

/** JXA that prints the bundle id of the default handler of `scheme` (empty when none). */
export function macosQueryDefaultScript(scheme: Scheme): string {
  return [
    'ObjC.import("CoreServices");',
    'ObjC.bindFunction("LSCopyDefaultHandlerForURLScheme", ["id", ["id"]]);',
    `const handler = ObjC.unwrap($.LSCopyDefaultHandlerForURLScheme($(${JSON.stringify(scheme)})));`,
    'handler ? String(handler) : "";',
  ].join("\n");
}

const jxa = (script: string): string[] => ["osascript", "-l", "JavaScript", "-e", script];

export async function installMacosHandler(
  options: InstallOptions & { nodePath?: string },
): Promise<HandlerReport> {
  assertPlatform();
  const { env, schemes } = options;
  const appPath = macosAppPath(env);
  const oldState = await readHandlerState(env);
  const state: HandlerState = { version: 1, platform: "darwin", location: appPath, schemes: {} };
  for (const scheme of schemes) {
    const previous = await queryDefault(scheme, env);
    state.schemes[scheme] =
      previous === MACOS_BUNDLE_ID
        ? (oldState?.schemes[scheme] ?? {})
        : previous
          ? { previous }
          : {};
  }
  await writeHandlerState(env, state);

  const workDir = await mkdtemp(path.join(os.tmpdir(), "dial3cx-applet-"));
  try {
    const sourcePath = path.join(workDir, "dial3cx.applescript");
    const launcher: MacosLauncher = {
      nodePath: options.nodePath ?? process.execPath,
      scriptPath: options.exePath,
      confirm: options.confirm ?? false,
    };
    await writeFile(sourcePath, macosAppletSource(launcher));
    await rm(appPath, { recursive: true, force: true });
    for (const argv of macosBuildCommands(appPath, sourcePath, schemes)) await run(argv, env);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }

  const notes: string[] = [];
  for (const scheme of schemes) {
    const status = (await run(jxa(macosSetDefaultScript(scheme, MACOS_BUNDLE_ID)), env)).trim();
    if (status !== "0")
      notes.push(`LaunchServices did not take dial3cx for ${scheme}: (status ${status}).`);
  }
  const changes = [];
  for (const scheme of schemes) {
    const previous = state.schemes[scheme]?.previous;
    const now = await queryDefault(scheme, env);
    changes.push({
      scheme,
      ...(previous ? { previous } : {}),
      now,
      isDial3cx: now === MACOS_BUNDLE_ID,
    });
  }
  return { platform: "darwin", location: appPath, schemes: changes, notes };
}

export async function uninstallMacosHandler(env: NodeJS.ProcessEnv): Promise<UninstallReport> {
  assertPlatform();
  const state = await readHandlerState(env);
  const schemes: SchemeRestore[] = [];
  for (const scheme of SCHEMES) {
    const record = state?.schemes[scheme];
    if (record === undefined) continue;
    if ((await queryDefault(scheme, env)) !== MACOS_BUNDLE_ID) {
      schemes.push({ scheme, action: "left" });
    } else if (record.previous) {
      await run(jxa(macosSetDefaultScript(scheme, record.previous)), env);
      schemes.push({ scheme, action: "restored", previous: record.previous });
    } else {
      // LaunchServices has no "no default": unregistering the applet lets it pick another.
      schemes.push({ scheme, action: "removed" });
    }
  }
  const appPath = macosAppPath(env);
  const removed: string[] = [];
  if (await exists(appPath)) {
    // Unregistering an applet LaunchServices never saw fails; removing it is what matters.
    await run([LSREGISTER, "-u", appPath], env).catch(() => "");
    await rm(appPath, { recursive: true, force: true });
    removed.push(appPath);
  }
  await deleteHandlerState(env);
  for (const entry of schemes) {
    const now = await queryDefault(entry.scheme, env);
    if (now) entry.now = now;
  }
  const notes =
    removed.length === 0 && schemes.length === 0
      ? ["dial3cx was not installed as a handler: nothing to undo."]
      : [];
  return { platform: "darwin", removed, schemes, notes };
}

export async function macosHandlerStatus(env: NodeJS.ProcessEnv): Promise<HandlerStatus> {
  assertPlatform();
  const appPath = macosAppPath(env);
  const schemes = [];
  for (const scheme of SCHEMES) {
    const current = await queryDefault(scheme, env);
    schemes.push({
      scheme,
      ...(current ? { current } : {}),
      isDial3cx: current === MACOS_BUNDLE_ID,
    });
  }
  return { platform: "darwin", location: appPath, installed: await exists(appPath), schemes };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function queryDefault(scheme: Scheme, env: NodeJS.ProcessEnv): Promise<string> {
  return (await run(jxa(macosQueryDefaultScript(scheme)), env)).trim().toLowerCase();
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const [tool, ...args] = argv;
  try {
    return (await runTool(tool!, args, env)).stdout;
  } catch (error) {
    if (error instanceof ToolMissingError || error instanceof ToolFailedError) {
      throw new ConfigError(`Setting up the macOS handler failed: ${error.message}`);
    }
    throw error;
  }
}

function assertPlatform(): void {
  if (process.platform !== "darwin") {
    throw new ConfigError("The macOS handler can only be installed on macOS.");
  }
}
