// The tel:/callto:/sip: handler, whichever the platform: install, uninstall and status dispatch
// to the XDG (Linux and other Unix desktops), macOS or Windows implementation.
import { installLinuxHandler, linuxHandlerStatus, uninstallLinuxHandler } from "./linux.js";
import { installMacosHandler, macosHandlerStatus, uninstallMacosHandler } from "./macos.js";
import type {
  HandlerPlatform,
  HandlerReport,
  HandlerStatus,
  InstallOptions,
  UninstallReport,
} from "./types.js";
import { installWindowsHandler, uninstallWindowsHandler, windowsHandlerStatus } from "./windows.js";

export { parseDesktopExec } from "./desktop-entry.js";
export { resolveDial3cxExe } from "./exe-path.js";
export * from "./types.js";

/** macOS and Windows have their own mechanisms; every other Unix gets the XDG one. */
export function handlerPlatform(platform: NodeJS.Platform = process.platform): HandlerPlatform {
  if (platform === "darwin" || platform === "win32") return platform;
  return "linux";
}

export function installHandler(options: InstallOptions): Promise<HandlerReport> {
  switch (handlerPlatform()) {
    case "darwin":
      return installMacosHandler(options);
    case "win32":
      return installWindowsHandler(options);
    case "linux":
      return installLinuxHandler(options);
  }
}

export function uninstallHandler(env: NodeJS.ProcessEnv): Promise<UninstallReport> {
  switch (handlerPlatform()) {
    case "darwin":
      return uninstallMacosHandler(env);
    case "win32":
      return uninstallWindowsHandler(env);
    case "linux":
      return uninstallLinuxHandler(env);
  }
}

export function handlerStatus(env: NodeJS.ProcessEnv): Promise<HandlerStatus> {
  switch (handlerPlatform()) {
    case "darwin":
      return macosHandlerStatus(env);
    case "win32":
      return windowsHandlerStatus(env);
    case "linux":
      return linuxHandlerStatus(env);
  }
}
