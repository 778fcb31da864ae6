import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appPaths } from "./paths.js";

describe("appPaths", () => {
  it("puts everything under the XDG directories given", () => {
    const paths = appPaths({
      HOME: "/home/ann",
      XDG_CONFIG_HOME: "/x/config",
      XDG_STATE_HOME: "/x/state",
      XDG_RUNTIME_DIR: "/run/user/1000",
    });
    expect(paths).toEqual({
      configDir: "/x/config/dial3cx",
      configFile: "/x/config/dial3cx/config.toml",
      stateDir: "/x/state/dial3cx",
      cacheFile: "/x/state/dial3cx/session.json",
      logFile: "/x/state/dial3cx/dial3cx.log",
      runtimeDir: "/run/user/1000/dial3cx",
    });
  });

  it("has no runtime dir without XDG_RUNTIME_DIR", () => {
    expect(appPaths({ HOME: "/home/ann", XDG_CONFIG_HOME: "/x" }).runtimeDir).toBeUndefined();
  });

  it.runIf(process.platform === "linux")("falls back to HOME on Linux", () => {
    const paths = appPaths({ HOME: "/home/ann" });
    expect(paths.configFile).toBe("/home/ann/.config/dial3cx/config.toml");
    expect(paths.cacheFile).toBe("/home/ann/.local/state/dial3cx/session.json");
    expect(paths.logFile).toBe("/home/ann/.local/state/dial3cx/dial3cx.log");
  });

  it.runIf(process.platform === "linux")("ignores relative XDG values, as the spec says", () => {
    const paths = appPaths({
      HOME: "/home/ann",
      XDG_CONFIG_HOME: "rel/config",
      XDG_RUNTIME_DIR: "run",
    });
    expect(paths.configDir).toBe("/home/ann/.config/dial3cx");
    expect(paths.runtimeDir).toBeUndefined();
  });

  describe("with process.env", () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of ["XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    });

    it("reads the environment at call time, not at import", () => {
      process.env.XDG_CONFIG_HOME = "/first";
      expect(appPaths().configDir).toBe(path.join("/first", "dial3cx"));
      process.env.XDG_CONFIG_HOME = "/second";
      process.env.XDG_STATE_HOME = "/state2";
      expect(appPaths().configDir).toBe(path.join("/second", "dial3cx"));
      expect(appPaths().cacheFile).toBe(path.join("/state2", "dial3cx", "session.json"));
    });
  });
});
