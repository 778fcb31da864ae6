// Reconnecting a dropped event stream: the first attempt at once, then backoff with jitter up to
// 30 s, forever, until the driver closes or an attempt fails in a way no retry can fix.
import type { EventEmitter } from "node:events";
import type { DriverEvents } from "./driver.js";

const DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];

/** Errors no retry can fix: credentials, certificates, permissions. */
const FATAL_CODES = new Set([
  "auth",
  "blocked",
  "auth_failed",
  "two_factor_required",
  "not_logged_in",
  "tls",
  "rejected",
]);

const NO_RETRY = Symbol("dial3cx.noRetry");

/** Marks an error no reconnection may repeat, e.g. any failed password login. */
export function noRetry<E>(error: E): E {
  if (error !== null && typeof error === "object")
    Object.defineProperty(error, NO_RETRY, { value: true });
  return error;
}

export function isFatal(error: unknown): boolean {
  if (error !== null && typeof error === "object" && NO_RETRY in error) return true;
  return FATAL_CODES.has(String((error as { code?: unknown })?.code));
}

export class Reconnector {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * @param attempt one reconnection attempt; it throws when it failed
   * @param events where a fatal failure is reported ("problem", then "connection" closed)
   */
  constructor(
    private readonly attempt: () => Promise<void>,
    private readonly events: EventEmitter<DriverEvents>,
  ) {}

  schedule(attempt = 0): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const base = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)]!;
    const delay = attempt === 0 ? 0 : base * (0.75 + Math.random() / 2);
    this.timer = setTimeout(async () => {
      try {
        await this.attempt();
      } catch (error) {
        if (this.stopped) return;
        if (!isFatal(error)) {
          this.schedule(attempt + 1);
          return;
        }
        this.events.emit("problem", error as Error);
        this.events.emit("connection", "closed");
      }
    }, delay);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
