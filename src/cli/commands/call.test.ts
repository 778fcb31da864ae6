// What a Ctrl-C during `call --wait` does (answerSigint): in a terminal it asks, elsewhere it
// hangs up; under --json nothing but JSON reaches stdout.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Io } from "../io.js";
import { type AskHangup, answerSigint } from "./call.js";

/** Streams that record what was written, in order, with hang-ups in between. */
function fakeIo(tty: boolean) {
  const events: string[] = [];
  const stream = (name: string) => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    out.isTTY = tty;
    out.on("data", (chunk: Buffer) => events.push(`${name}:${chunk.toString()}`));
    return out;
  };
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = tty;
  const io: Io = { stdout: stream("stdout"), stderr: stream("stderr"), stdin, env: {} };
  const call = {
    id: "7",
    hangup: async () => {
      events.push("hangup");
    },
  };
  return { io, call, events };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("answerSigint", () => {
  it("without a terminal, says so first, then hangs up; --json notes go to stderr", async () => {
    const { io, call, events } = fakeIo(false);
    expect(await answerSigint(call, io, true)).toBe("hung-up");
    await settle();
    expect(events).toEqual(["stderr:  hanging up…\n", "hangup"]);
  });

  it("asks on stderr under --json; no leaves the call running, with the hint", async () => {
    const { io, call, events } = fakeIo(true);
    let askedOn: unknown;
    const ask: AskHangup = async (output) => {
      askedOn = output;
      return false;
    };
    expect(await answerSigint(call, io, true, ask)).toBe("left");
    await settle();
    expect(askedOn).toBe(io.stderr);
    expect(events).toEqual(["stderr:  left the call running: hang up with `dial3cx hangup 7`\n"]);
  });

  it("asks on stdout in text mode; yes hangs up", async () => {
    const { io, call, events } = fakeIo(true);
    let askedOn: unknown;
    const ask: AskHangup = async (output) => {
      askedOn = output;
      return true;
    };
    expect(await answerSigint(call, io, false, ask)).toBe("hung-up");
    await settle();
    expect(askedOn).toBe(io.stdout);
    expect(events).toEqual(["stdout:  hanging up…\n", "hangup"]);
  });

  it("an aborted question (a second Ctrl-C) keeps following the call: no hang-up", async () => {
    const { io, call, events } = fakeIo(true);
    const ask: AskHangup = () => Promise.reject(new Error("User force closed the prompt"));
    expect(await answerSigint(call, io, false, ask)).toBe("kept");
    await settle();
    expect(events).toEqual([]);
  });
});
