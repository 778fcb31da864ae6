// Server-Sent Events framing for the dialer page, which reads /v1/events with fetch() because
// EventSource cannot send an Authorization header. Follows the HTML standard's parsing rules:
// CRLF, LF or CR line ends, a leading BOM, comments, `event`/`data`/`id`/`retry` fields, and a
// message dispatched at each blank line. Pure string work: no DOM, so Node tests can run it.

export interface SseMessage {
  /** "message" when the server named none. */
  event: string;
  data: string;
  /** The last event id seen so far on this stream (carried over, as the standard says). */
  lastEventId: string;
}

export class SseParser {
  private buffer = "";
  private started = false;
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private pendingCr = false;
  private event = "";
  private data: string[] = [];
  private hasData = false;
  private lastEventId = "";
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined;

  /** Feeds decoded text; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    if (chunk === "") return [];
    let text = chunk;
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    this.buffer += text;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end === -1) break;
      const line = this.buffer.slice(0, end);
      let next = end + 1;
      if (this.buffer[end] === "\r") {
        if (next === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[next] === "\n") next += 1;
      }
      this.buffer = this.buffer.slice(next);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message = this.hasData
      ? {
          event: this.event || "message",
          data: this.data.join("\n"),
          lastEventId: this.lastEventId,
        }
      : undefined;
    this.event = "";
    this.data = [];
    this.hasData = false;
    return message;
  }
}

/** Doubling reconnection delays with jitter, capped; `reset` after a stream that worked. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(serverHintMs?: number): number {
    const base = Math.max(this.baseMs, serverHintMs ?? 0);
    const delay = Math.min(this.maxMs, base * 2 ** this.attempt);
    this.attempt += 1;
    // Up to a fifth more, so many pages do not reconnect in step after a gateway restart.
    return Math.round(delay * (1 + this.random() * 0.2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
