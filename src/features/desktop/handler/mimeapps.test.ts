import { describe, expect, it } from "vitest";
import {
  applicationsDir,
  entryApps,
  mimeappsListPath,
  readDefaultEntry,
  withDefaultEntry,
} from "./mimeapps.js";

const TEL = "x-scheme-handler/tel";

const SAMPLE = [
  "[Added Associations]",
  "x-scheme-handler/tel=added.desktop;",
  "",
  "[Default Applications]",
  "text/html=firefox.desktop",
  "x-scheme-handler/tel=other.desktop;second.desktop;",
  "",
  "[Removed Associations]",
  "image/png=gimp.desktop;",
  "",
].join("\n");

describe("mimeapps.list", () => {
  it("resolves paths the way xdg-mime does", () => {
    expect(mimeappsListPath({ HOME: "/h" })).toBe("/h/.config/mimeapps.list");
    expect(mimeappsListPath({ HOME: "/h", XDG_CONFIG_HOME: "/c" })).toBe("/c/mimeapps.list");
    expect(applicationsDir({ HOME: "/h" })).toBe("/h/.local/share/applications");
    expect(applicationsDir({ HOME: "/h", XDG_DATA_HOME: "/d" })).toBe("/d/applications");
  });

  it("reads only the [Default Applications] entry", () => {
    expect(readDefaultEntry(SAMPLE, TEL)).toBe("other.desktop;second.desktop;");
    expect(readDefaultEntry(SAMPLE, "x-scheme-handler/sip")).toBeUndefined();
    expect(entryApps("a.desktop; b.desktop;;")).toEqual(["a.desktop", "b.desktop"]);
  });

  it("replaces or removes one entry and keeps everything else", () => {
    const replaced = withDefaultEntry(SAMPLE, TEL, "dial3cx.desktop");
    expect(replaced).toBe(
      SAMPLE.replace("tel=other.desktop;second.desktop;", "tel=dial3cx.desktop"),
    );
    const removed = withDefaultEntry(SAMPLE, TEL, undefined);
    expect(removed).toBe(
      SAMPLE.replace("x-scheme-handler/tel=other.desktop;second.desktop;\n", ""),
    );
    expect(withDefaultEntry(SAMPLE, "x-scheme-handler/sip", undefined)).toBe(SAMPLE);
  });

  it("adds a missing entry at the end of its group, or the group itself", () => {
    expect(withDefaultEntry(SAMPLE, "x-scheme-handler/sip", "a.desktop;")).toBe(
      SAMPLE.replace(
        "tel=other.desktop;second.desktop;\n",
        "tel=other.desktop;second.desktop;\nx-scheme-handler/sip=a.desktop;\n",
      ),
    );
    expect(withDefaultEntry("", TEL, "a.desktop;")).toBe(
      "[Default Applications]\nx-scheme-handler/tel=a.desktop;\n",
    );
    expect(withDefaultEntry("[Added Associations]\nx=y\n", TEL, "a.desktop;")).toBe(
      "[Added Associations]\nx=y\n\n[Default Applications]\nx-scheme-handler/tel=a.desktop;\n",
    );
  });
});
