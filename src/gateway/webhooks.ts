// Webhooks: every gateway event as a JSON POST to each configured URL, signed with
// `X-Dial3cx-Signature: sha256=<hex HMAC-SHA256 of the body>` (secret in gateway-webhook-secret),
// delivered in the background in order per URL and retried with bounded exponential backoff.
// Nothing here is awaited by a request handler, so a slow or dead receiver never delays a call.
import { createHmac, randomUUID } from "node:crypto";
import { Agent, type Dispatcher, request } from "undici";
import { BadInputError } from "../errors.js";
import { VERSION } from "../version.js";
import type { GatewayEvent } from "./events.js";

export const SIGNATURE_HEADER = "x-dial3cx-signature";

export interface WebhookRetry {
  /** Tries in all, the first included (default 5). */
  attempts: number;
  /** Wait before the first retry; doubled for each one after (default 1000 ms). */
  baseDelayMs: number;
  /** Upper bound of one wait, Retry-After included (default 60 s). */
  maxDelayMs: number;
}

export interface WebhookDelivery {
  /** The URL's origin only: paths of webhook URLs often hold a secret. */
  target: string;
  event: GatewayEvent["type"];
  attempt: number;
  status?: number;
  error?: string;
  outcome: "delivered" | "retrying" | "failed" | "dropped";
}

export interface WebhookOptions {
  urls: readonly string[];
  secret: string;
  retry?: Partial<WebhookRetry>;
  /** One attempt's limit (default 10 s). */
  timeoutMs?: number;
  /** Events waiting per URL before the oldest are dropped (default 1000). */
  maxQueue?: number;
  /** For tests (e.g. a CA); a plain Agent with TLS verification otherwise. */
  dispatcher?: Dispatcher;
  onDelivery?: (delivery: WebhookDelivery) => void;
}

const DEFAULT_RETRY: WebhookRetry = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * A webhook URL as given, checked: https, or http to a loopback address (a receiver on this
 * machine), and no user name or password in it.
 */
export function validateWebhookUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    // Not echoed: webhook URLs often carry a secret.
    throw new BadInputError(
      "a webhook is not a URL: give it like https://example.com/hook",
      "usage",
    );
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/i.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new BadInputError(
      `webhook ${url.origin} must use https:// (plain http only to this machine)`,
      "usage",
    );
  }
  if (url.username || url.password) {
    throw new BadInputError(
      `webhook ${url.origin} must not carry a user name or password`,
      "usage",
    );
  }
  return url.href;
}

/** The signature header's value: "sha256=" + hex HMAC-SHA256 of the exact body bytes. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export class WebhookSender {
  private readonly targets: WebhookTarget[];
  private readonly ownDispatcher: Agent | undefined;

  constructor(options: WebhookOptions) {
    this.ownDispatcher = options.dispatcher ? undefined : new Agent({ connections: 4 });
    const settings: TargetSettings = {
      secret: options.secret,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 10_000,
      maxQueue: options.maxQueue ?? 1000,
      dispatcher: options.dispatcher ?? this.ownDispatcher!,
      onDelivery: options.onDelivery ?? (() => {}),
    };
    this.targets = options.urls.map((url) => new WebhookTarget(validateWebhookUrl(url), settings));
  }

  /** Queues the event for every URL and returns at once. */
  send(event: GatewayEvent): void {
    const body = JSON.stringify(event);
    for (const target of this.targets) target.enqueue({ event, body, delivery: randomUUID() });
  }

  /** Resolves when nothing is queued or in flight (for tests and a graceful stop). */
  async idle(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.idle()));
  }

  /** Stops retrying, drops what is queued, aborts what is in flight. */
  async close(): Promise<void> {
    await Promise.all(this.targets.map((target) => target.close()));
    await this.ownDispatcher?.close().catch(() => undefined);
  }
}

interface TargetSettings {
  secret: string;
  retry: WebhookRetry;
  timeoutMs: number;
  maxQueue: number;
  dispatcher: Dispatcher;
  onDelivery: (delivery: WebhookDelivery) => void;
}

interface QueuedEvent {
  event: GatewayEvent;
  body: string;
  /** The same for every attempt, so a receiver can tell a retry from a new event. */
  delivery: string;
}

type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; retry: boolean; status?: number; error?: string; retryAfterMs?: number };

/** One URL: its own queue and worker, so events reach it in order and one URL never holds up another. */
class WebhookTarget {
  private readonly queue: QueuedEvent[] = [];
  private readonly origin: string;
  private running: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private inFlight: AbortController | undefined;

  constructor(
    private readonly url: string,
    private readonly settings: TargetSettings,
  ) {
    this.origin = new URL(url).origin;
  }

  enqueue(item: QueuedEvent): void {
    if (this.closed) return;
    this.queue.push(item);
    while (this.queue.length > this.settings.maxQueue) {
      const dropped = this.queue.shift()!;
      this.report(dropped, 0, { outcome: "dropped", error: "queue full" });
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.inFlight?.abort();
    this.wake?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item && !this.closed; item = this.queue.shift()) {
      await this.deliver(item);
    }
  }

  private async deliver(item: QueuedEvent): Promise<void> {
    const { attempts } = this.settings.retry;
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      const result = await this.attempt(item);
      if (result.ok) {
        this.report(item, attempt, { outcome: "delivered", status: result.status });
        return;
      }
      const last = !result.retry || attempt === attempts || this.closed;
      this.report(item, attempt, {
        outcome: last ? "failed" : "retrying",
        status: result.status,
        error: result.error,
      });
      if (last) return;
      await this.sleep(this.delayMs(attempt, result.retryAfterMs));
    }
  }

  private async attempt(item: QueuedEvent): Promise<AttemptResult> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timer = setTimeout(() => controller.abort(), this.settings.timeoutMs);
    try {
      const response = await request(this.url, {
        method: "POST",
        dispatcher: this.settings.dispatcher,
        signal: controller.signal,
        headers: {
          "content-type": "application/json",
          "user-agent": `dial3cx/${VERSION}`,
          "x-dial3cx-event": item.event.type,
          "x-dial3cx-delivery": item.delivery,
          [SIGNATURE_HEADER]: signBody(item.body, this.settings.secret),
        },
        body: item.body,
      });
      await response.body.dump().catch(() => undefined);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status };
      return {
        ok: false,
        status,
        retry: status === 408 || status === 425 || status === 429 || status >= 500,
        retryAfterMs: retryAfterMs(response.headers["retry-after"]),
      };
    } catch (error) {
      const reason = controller.signal.aborted && !this.closed ? "timed out" : errorText(error);
      return { ok: false, retry: true, error: reason };
    } finally {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
  }

  private delayMs(attempt: number, retryAfter: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = this.settings.retry;
    const backoff = baseDelayMs * 2 ** (attempt - 1);
    return Math.min(maxDelayMs, Math.max(backoff, retryAfter ?? 0));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private report(
    item: QueuedEvent,
    attempt: number,
    result: Pick<WebhookDelivery, "outcome" | "status" | "error">,
  ): void {
    try {
      this.settings.onDelivery({
        target: this.origin,
        event: item.event.type,
        attempt,
        ...result,
      });
    } catch {
      // Reporting is logging; it must not stop deliveries.
    }
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
}
