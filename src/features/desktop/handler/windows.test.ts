import { describe, expect, it } from "vitest";
import {
  parseRegQueryValue,
  windowsCommandLine,
  windowsRegAddCommands,
  windowsRegFile,
  windowsRegistryValues,
} from "./windows.js";

const launcher = {
  nodePath: "C:\\Program Files\\nodejs\\node.exe",
  scriptPath: "C:\\Users\\Ann\\AppData\\Roaming\\npm\\node_modules\\dial3cx\\bin\\dial3cx.js",
};

const COMMAND =
  '"C:\\Program Files\\nodejs\\node.exe" "C:\\Users\\Ann\\AppData\\Roaming\\npm\\node_modules\\dial3cx\\bin\\dial3cx.js" open "%1"';

describe("Windows URL protocol (generated, not yet tried on Windows)", () => {
  it("runs node with the script and the URL as %1", () => {
    expect(windowsCommandLine(launcher)).toBe(COMMAND);
    expect(windowsCommandLine({ ...launcher, confirm: true })).toBe(`${COMMAND} --confirm`);
  });

  it("writes the HKCU Classes keys for each scheme", () => {
    expect(windowsRegistryValues(launcher, ["tel"])).toEqual([
      { key: "HKEY_CURRENT_USER\\Software\\Classes\\tel", data: "URL:tel" },
      { key: "HKEY_CURRENT_USER\\Software\\Classes\\tel", name: "URL Protocol", data: "" },
      { key: "HKEY_CURRENT_USER\\Software\\Classes\\tel\\shell\\open\\command", data: COMMAND },
    ]);
  });

  it("renders a .reg file", () => {
    expect(windowsRegFile(windowsRegistryValues(launcher, ["tel", "callto"]))).toBe(
      [
        "Windows Registry Editor Version 5.00",
        "",
        "[HKEY_CURRENT_USER\\Software\\Classes\\tel]",
        '@="URL:tel"',
        '"URL Protocol"=""',
        "",
        "[HKEY_CURRENT_USER\\Software\\Classes\\tel\\shell\\open\\command]",
        '@="\\"C:\\\\Program Files\\\\nodejs\\\\node.exe\\" \\"C:\\\\Users\\\\Ann\\\\AppData\\\\Roaming\\\\npm\\\\node_modules\\\\dial3cx\\\\bin\\\\dial3cx.js\\" open \\"%1\\""',
        "",
        "[HKEY_CURRENT_USER\\Software\\Classes\\callto]",
        '@="URL:callto"',
        '"URL Protocol"=""',
        "",
        "[HKEY_CURRENT_USER\\Software\\Classes\\callto\\shell\\open\\command]",
        '@="\\"C:\\\\Program Files\\\\nodejs\\\\node.exe\\" \\"C:\\\\Users\\\\Ann\\\\AppData\\\\Roaming\\\\npm\\\\node_modules\\\\dial3cx\\\\bin\\\\dial3cx.js\\" open \\"%1\\""',
        "",
      ].join("\r\n"),
    );
  });

  it("renders the same values as reg add argv arrays", () => {
    expect(windowsRegAddCommands(windowsRegistryValues(launcher, ["sip"]))).toEqual([
      ["reg", "add", "HKCU\\Software\\Classes\\sip", "/ve", "/t", "REG_SZ", "/d", "URL:sip", "/f"],
      [
        "reg",
        "add",
        "HKCU\\Software\\Classes\\sip",
        "/v",
        "URL Protocol",
        "/t",
        "REG_SZ",
        "/d",
        "",
        "/f",
      ],
      [
        "reg",
        "add",
        "HKCU\\Software\\Classes\\sip\\shell\\open\\command",
        "/ve",
        "/t",
        "REG_SZ",
        "/d",
        COMMAND,
        "/f",
      ],
    ]);
  });

  it("reads a value from reg query output, whatever the language", () => {
    const english = `\r\nHKEY_CURRENT_USER\\Software\\Classes\\tel\\shell\\open\\command\r\n    (Default)    REG_SZ    ${COMMAND}\r\n\r\n`;
    const german = english.replace("(Default)", "(Standard)");
    expect(parseRegQueryValue(english)).toBe(COMMAND);
    expect(parseRegQueryValue(german)).toBe(COMMAND);
    expect(parseRegQueryValue("\r\nHKEY_CURRENT_USER\\x\r\n")).toBeUndefined();
  });
});
