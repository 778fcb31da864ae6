// What every route module of the gateway API shares: the Hono environment (the transport and the
// authenticated account), the API's options, the call kept for the dedupe window, and the rule
// that a token acts only for its own extension.
import type { Context } from "hono";
import type { Logger } from "pino";
import type { Call } from "../../features/calls/client.js";
import type { DeviceRegistration } from "../../features/calls/devices.js";
import type { DialString } from "../../features/calls/dialstring.js";
import type { CallerNameResolver } from "../../features/contacts/caller-name.js";
import type { TokenRegistry } from "../../features/settings/gateway-tokens.js";
import type { AccountPool, ServedAccount } from "../accounts.js";
import type { EventHub } from "../events.js";
import type { CallDeduper, IdempotencyStore, RateLimiter, TransportBindings } from "../security.js";
import { ApiProblem } from "./errors.js";

export type GatewayEnv = {
  Bindings: TransportBindings;
  Variables: { account: ServedAccount };
};

/** A call placed through the API, kept for the dedupe window. */
export interface PlacedCall {
  call: Call;
  to: DialString;
  device: DeviceRegistration;
  extension: string;
}

export interface ApiOptions {
  accounts: AccountPool;
  tokens: TokenRegistry;
  hub: EventHub;
  logger: Logger;
  rateLimiter: RateLimiter;
  deduper: CallDeduper<PlacedCall>;
  /** Answers of POST /v1/calls by Idempotency-Key (10 minutes). */
  idempotency?: IdempotencyStore;
  allowedHosts: ReadonlySet<string>;
  selfOrigins: ReadonlySet<string>;
  allowedOrigins: ReadonlySet<string>;
  /** Event streams one token may have open at once (default 20). */
  maxStreamsPerToken?: number;
  /** SSE keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
  /** How long POST /v1/calls waits for the PBX to show the call's id (default 3 s). */
  callIdWaitMs?: number;
  /** Where the dialer page's built files are; default `<package root>/dist/web`. */
  webDir?: string;
  /** Where placed calls' devices are recorded and read (call-devices.ts); none: not recorded. */
  callDevicesFile?: string;
  /** Per extension: who a caller is (vCards, PBX phone book, PBX name), for GET /v1/history. */
  callerNames?: ReadonlyMap<string, CallerNameResolver>;
}

/** The token's account; a request that names another extension is refused. */
export function actingAccount(c: Context<GatewayEnv>, requested?: string): ServedAccount {
  const account = c.get("account");
  if (requested !== undefined && requested !== account.extension) {
    throw new ApiProblem(
      403,
      "forbidden",
      `This token acts for extension ${account.extension} only, not ${requested}.`,
    );
  }
  return account;
}
