import { describe, expect, it } from "vitest";
import {
  appleScriptString,
  LSREGISTER,
  MACOS_BUNDLE_ID,
  macosAppletSource,
  macosAppPath,
  macosBuildCommands,
  macosQueryDefaultScript,
  macosSetDefaultScript,
  macosUrlTypesXml,
} from "./macos.js";

const launcher = {
  nodePath: "/opt/homebrew/bin/node",
  scriptPath: "/opt/homebrew/lib/node_modules/dial3cx/bin/dial3cx.js",
};

describe("macOS applet (generated, not yet tried on a Mac)", () => {
  it("writes an applet that hands the URL to `dial3cx open`", () => {
    expect(macosAppletSource(launcher)).toBe(
      [
        "-- dial3cx: click-to-call on your 3CX desk phone. Written by `dial3cx handler install`.",
        "on open location theURL",
        "\ttry",
        '\t\tdo shell script quoted form of "/opt/homebrew/bin/node" & " " & quoted form of "/opt/homebrew/lib/node_modules/dial3cx/bin/dial3cx.js" & " open " & quoted form of theURL',
        "\ton error",
        "\t\t-- dial3cx open reports its own errors as notifications; no second dialog.",
        "\tend try",
        "end open location",
        "",
      ].join("\n"),
    );
  });

  it("adds --confirm and escapes paths for AppleScript", () => {
    const source = macosAppletSource({
      nodePath: '/Users/ann/my "apps"/node',
      scriptPath: "C:\\odd\\dial3cx.js",
      confirm: true,
    });
    expect(source).toContain('quoted form of "/Users/ann/my \\"apps\\"/node"');
    expect(source).toContain('quoted form of "C:\\\\odd\\\\dial3cx.js"');
    expect(source).toContain('quoted form of theURL & " --confirm"');
    expect(appleScriptString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it("declares the schemes in CFBundleURLTypes", () => {
    expect(macosUrlTypesXml(["tel", "callto", "sip"])).toBe(
      [
        "<array>",
        "\t<dict>",
        "\t\t<key>CFBundleURLName</key>",
        "\t\t<string>dial3cx phone links</string>",
        "\t\t<key>CFBundleURLSchemes</key>",
        "\t\t<array>",
        "\t\t\t<string>tel</string>",
        "\t\t\t<string>callto</string>",
        "\t\t\t<string>sip</string>",
        "\t\t</array>",
        "\t</dict>",
        "</array>",
      ].join("\n"),
    );
  });

  it("compiles, edits Info.plist, re-signs and registers with LaunchServices", () => {
    const app = macosAppPath({ HOME: "/Users/ann" });
    expect(app).toBe("/Users/ann/Applications/dial3cx.app");
    const plist = `${app}/Contents/Info.plist`;
    expect(macosBuildCommands(app, "/tmp/x/dial3cx.applescript", ["tel"])).toEqual([
      ["osacompile", "-o", app, "/tmp/x/dial3cx.applescript"],
      ["plutil", "-replace", "CFBundleIdentifier", "-string", MACOS_BUNDLE_ID, plist],
      ["plutil", "-replace", "CFBundleURLTypes", "-xml", macosUrlTypesXml(["tel"]), plist],
      ["plutil", "-replace", "LSUIElement", "-bool", "YES", plist],
      ["codesign", "--force", "--sign", "-", app],
      [LSREGISTER, "-f", app],
    ]);
    expect(LSREGISTER).toMatch(/LaunchServices\.framework\/Support\/lsregister$/);
  });

  it("sets and queries the default handler through LaunchServices from JXA", () => {
    expect(macosSetDefaultScript("tel", MACOS_BUNDLE_ID)).toBe(
      [
        'ObjC.import("CoreServices");',
        'ObjC.bindFunction("LSSetDefaultHandlerForURLScheme", ["int", ["id", "id"]]);',
        'String($.LSSetDefaultHandlerForURLScheme($("tel"), $("io.github.dial3cx.handler")));',
      ].join("\n"),
    );
    expect(macosQueryDefaultScript("sip")).toContain(
      '$.LSCopyDefaultHandlerForURLScheme($("sip"))',
    );
  });
});
