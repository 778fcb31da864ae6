import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { BadInputError, ConfigError } from "../../../errors.js";
import {
  buildExecValue,
  desktopEntryText,
  hasControlCharacter,
  parseDesktopEntry,
  parseDesktopExec,
  quoteExecArg,
} from "./desktop-entry.js";

const URI = "tel:+49-30-123456";

describe("quoteExecArg", () => {
  it("leaves plain paths unquoted, which xdg-utils' own parser needs", () => {
    expect(quoteExecArg("/usr/lib/node_modules/dial3cx/bin/dial3cx.js")).toBe(
      "/usr/lib/node_modules/dial3cx/bin/dial3cx.js",
    );
  });

  it("quotes reserved characters and applies both escaping levels", () => {
    expect(quoteExecArg("/opt/my apps/dial3cx")).toBe('"/opt/my apps/dial3cx"');
    // `$` is escaped for the quoting rule, then that backslash doubled by the string rule.
    expect(quoteExecArg("/a$b")).toBe('"/a\\\\$b"');
    expect(quoteExecArg('/a"b')).toBe('"/a\\\\"b"');
    expect(quoteExecArg("/a\\b")).toBe('"/a\\\\\\\\b"');
    expect(quoteExecArg("/100%/x")).toBe("/100%%/x");
    expect(quoteExecArg("")).toBe('""');
  });

  it("refuses control characters", () => {
    expect(() => quoteExecArg("/a\nb")).toThrow(ConfigError);
  });
});

describe("parseDesktopExec", () => {
  it("substitutes %u with the URI as one argument", () => {
    expect(parseDesktopExec("Exec=/usr/bin/dial3cx open %u", URI)).toEqual([
      "/usr/bin/dial3cx",
      "open",
      URI,
    ]);
    expect(parseDesktopExec("/usr/bin/dial3cx open %u --confirm", "tel:+49 30 1")).toEqual([
      "/usr/bin/dial3cx",
      "open",
      "tel:+49 30 1",
      "--confirm",
    ]);
  });

  it("reads quoted arguments and the spec's escapes", () => {
    expect(parseDesktopExec('Exec="/opt/my apps/dial3cx" open %u', URI)[0]).toBe(
      "/opt/my apps/dial3cx",
    );
    // The spec's own example: a literal `$` in a quoted argument is written `\\$`.
    expect(parseDesktopExec('"/a\\\\$b" %u', URI)[0]).toBe("/a$b");
    expect(parseDesktopExec("/x 100%% %u", URI)).toEqual(["/x", "100%", URI]);
  });

  it("drops %i %c %k and appends the URI when no field code asks for it", () => {
    expect(parseDesktopExec("/x %i %c", URI)).toEqual(["/x", URI]);
  });

  it("rejects an invalid field code or an unterminated quote", () => {
    expect(() => parseDesktopExec("/x %z", URI)).toThrow(BadInputError);
    expect(() => parseDesktopExec('"/x open %u', URI)).toThrow(/unterminated/);
  });

  test.prop([fc.string({ minLength: 1 }).filter((s) => !hasControlCharacter(s)), fc.boolean()])(
    "gives back any path written by buildExecValue",
    (exePath, confirm) => {
      const argv = parseDesktopExec(buildExecValue(exePath, confirm), URI);
      expect(argv).toEqual([exePath, "open", URI, ...(confirm ? ["--confirm"] : [])]);
    },
  );
});

describe("desktopEntryText", () => {
  it("writes the handler entry", () => {
    expect(
      desktopEntryText({ exePath: "/opt/dial3cx/bin/dial3cx.js", schemes: ["tel", "sip"] }),
    ).toBe(
      [
        "[Desktop Entry]",
        "Type=Application",
        "Name=dial3cx",
        "Comment=Click-to-call on your 3CX desk phone",
        "Exec=/opt/dial3cx/bin/dial3cx.js open %u",
        "MimeType=x-scheme-handler/tel;x-scheme-handler/sip;",
        "NoDisplay=true",
        "Terminal=false",
        "",
      ].join("\n"),
    );
  });

  it("round-trips through parseDesktopEntry", () => {
    const text = desktopEntryText({ exePath: "/a b/c", schemes: ["tel"], confirm: true });
    const entry = parseDesktopEntry(`# comment\n${text}\n[Desktop Action x]\nExec=/other\n`);
    expect(entry.get("Exec")).toBe('"/a b/c" open %u --confirm');
    expect(entry.get("Name")).toBe("dial3cx");
  });
});
