import { afterEach, describe, expect, it, vi } from "vitest";
import type { CallInfo } from "../features/calls/client.js";

const call: CallInfo = { id: "2", state: "ringing", number: "123", incoming: false };
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("callLine", () => {
  it.each([
    ["NO_COLOR", { NO_COLOR: "1", FORCE_COLOR: "" }],
    ["FORCE_COLOR", { NO_COLOR: "", FORCE_COLOR: "1" }],
  ])("keeps its columns with colour asked for and %s", async (_name, env) => {
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    vi.resetModules();
    const { callLine } = await import("./format.js");
    const plain = callLine(call, false);
    expect(plain).toBe("#2  ringing      to 123");
    expect(stripAnsi(callLine(call, true))).toBe(plain);
  });
});
