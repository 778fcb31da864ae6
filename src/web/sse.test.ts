import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Backoff, SseParser } from "./sse.js";

describe("SseParser", () => {
  it("reads the gateway's frames: comments, retry, event, id, JSON data", () => {
    const parser = new SseParser();
    const messages = parser.push(
      ': connected\nretry: 3000\n\nevent: call.created\nid: 7\ndata: {"type":"call.created"}\n\n',
    );
    expect(messages).toEqual([
      { event: "call.created", data: '{"type":"call.created"}', lastEventId: "7" },
    ]);
    expect(parser.retryMs).toBe(3000);
  });

  it("follows the standard's edge cases", () => {
    const parser = new SseParser();
    const text =
      "\uFEFFdata:no space\r\n\r\n" + // BOM, CRLF, no space after the colon
      "data\rdata: two\r\r" + // a bare field name is an empty value; CR line ends
      "event: x\n\n" + // no data: nothing dispatched, event name dropped
      "id: 9\ndata:  lead\nretry: soon\n\n"; // one leading space removed; bad retry ignored
    expect(parser.push(text)).toEqual([
      { event: "message", data: "no space", lastEventId: "" },
      { event: "message", data: "\ntwo", lastEventId: "" },
      { event: "message", data: " lead", lastEventId: "9" },
    ]);
    expect(parser.retryMs).toBeUndefined();
  });

  it("keeps an unfinished message until its blank line comes", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\n")).toEqual([]);
    expect(parser.push("data: b\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "message", data: "a\nb", lastEventId: "" }]);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 })])(
    "gives the same messages however the stream is cut into chunks",
    (cuts) => {
      const stream =
        ': hi\r\n\r\nevent: call.updated\r\nid: 1\r\ndata: {"a":1}\r\n\r\n' +
        "event: call.ended\rdata: x\rdata: y\r\r: keep-alive\n\ndata: last\n\n";
      const whole = new SseParser().push(stream);
      const parser = new SseParser();
      const pieces: string[] = [];
      let at = 0;
      for (const cut of cuts) {
        pieces.push(stream.slice(at, at + cut));
        at += cut;
      }
      pieces.push(stream.slice(at));
      expect(pieces.flatMap((piece) => parser.push(piece))).toEqual(whole);
      expect(whole).toHaveLength(3);
    },
  );
});

describe("Backoff", () => {
  it("doubles up to the cap, honours the server's hint and starts over after a reset", () => {
    const backoff = new Backoff(1000, 8000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([1000, 2000, 4000, 8000, 8000]);
    backoff.reset();
    expect(backoff.next(3000)).toBe(3000);
    const jittered = new Backoff(1000, 8000, () => 1);
    expect(jittered.next()).toBe(1200);
  });
});
