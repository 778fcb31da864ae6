// Where dial3cx keeps things: the user's config file, tool-owned state (warm-path session cache,
// log) and the per-login runtime directory. Computed from the environment on every call, never
// at import, so tests and `HOME=... dial3cx` see the paths they set.
import os from "node:os";
import path from "node:path";
import envPaths from "env-paths";

const APP_NAME = "dial3cx";

export interface AppPaths {
  configDir: string;
  /** The user's hand-edited config.toml. */
  configFile: string;
  /** Tool-owned state: session cache and log. */
  stateDir: string;
  /** Warm-path session cache (session.json). */
  cacheFile: string;
  logFile: string;
  /** `$XDG_RUNTIME_DIR/dial3cx`, or undefined when there is no runtime dir. */
  runtimeDir: string | undefined;
}

export function appPaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  const defaults = platformDefaults(env);
  const xdgState = xdgAppDir(env.XDG_STATE_HOME);
  const configDir = xdgAppDir(env.XDG_CONFIG_HOME) ?? defaults.configDir;
  const stateDir = xdgState ?? defaults.stateDir;
  const logDir = xdgState ?? defaults.logDir;
  const runtimeBase = absoluteOrUndefined(env.XDG_RUNTIME_DIR);
  return {
    configDir,
    configFile: path.join(configDir, "config.toml"),
    stateDir,
    cacheFile: path.join(stateDir, "session.json"),
    logFile: path.join(logDir, `${APP_NAME}.log`),
    runtimeDir: runtimeBase === undefined ? undefined : path.join(runtimeBase, APP_NAME),
  };
}

/** The XDG spec says a relative value is invalid and must be ignored. */
function absoluteOrUndefined(dir: string | undefined): string | undefined {
  return dir && path.isAbsolute(dir) ? dir : undefined;
}

function xdgAppDir(base: string | undefined): string | undefined {
  const dir = absoluteOrUndefined(base);
  return dir === undefined ? undefined : path.join(dir, APP_NAME);
}

interface PlatformDirs {
  configDir: string;
  stateDir: string;
  logDir: string;
}

function platformDefaults(env: NodeJS.ProcessEnv): PlatformDirs {
  if (process.platform === "darwin" || process.platform === "win32") {
    // The default suffix would give "dial3cx-nodejs".
    const dirs = envPaths(APP_NAME, { suffix: "" });
    return { configDir: dirs.config, stateDir: dirs.data, logDir: dirs.log };
  }
  // Linux and other XDG systems. Not env-paths here: it snapshots the home directory at import
  // and reads process.env rather than the env given to us.
  const home = absoluteOrUndefined(env.HOME) ?? os.homedir();
  const stateDir = path.join(home, ".local", "state", APP_NAME);
  return { configDir: path.join(home, ".config", APP_NAME), stateDir, logDir: stateDir };
}
