// HTTP side of the Call Control API (reference §10): the client_credentials token and bearer
// requests that fetch a new token once when the PBX answers 401. Failures become typed errors
// tagged with what went wrong (wrong key, no API, no licence, DN not monitored), so that `auto`
// driver selection and `dial3cx doctor` can tell them apart without parsing messages.
//
// Token lifetime: from the JWT's `exp` (minus `iat`, so that the two clocks need not agree), as
// bonvies and pocket-dial do on live PBXs: a live PBX sent `expires_in: 60` on a token valid an
// hour (§10.1 item 4), and a client trusting it would renew every minute, each time revoking the
// token every other user of the API client holds. Without a readable `exp`, `expires_in` is read as
// seconds (minutes before 20.0.9: the shorter reading is the safe one). A 401 still gets one new
// token, whatever the clock said. Renewal is single-flight per API client and PBX, and tells the
// listeners (the drivers' event sockets reconnect with it: 3CX revokes the old one at once).
import {
  AuthError,
  type Dial3cxError,
  NetworkError,
  ProtocolError,
  RejectedError,
} from "../../errors.js";
import { PbxHttp, type PbxResponse } from "../http.js";
import { type LoginRefusal, LoginRefusalGuard } from "../login-refusal.js";
import { listedDns, pick } from "./model.js";

export type ApiKeySource = string | (() => Promise<string>);

export interface CallControlCredentials {
  clientId: string;
  apiKey: ApiKeySource;
}

/** Why Call Control cannot be used, as far as the PBX's answers tell. */
export type CallControlProblem =
  /** 401 on the token: wrong client id or API key. */
  | "credentials"
  /** 404 on the token: not a V20 PBX (V18 has no Call Control API). */
  | "unavailable"
  /** 403 on every `/callcontrol` path: a licence without the Call Control API [?]. */
  | "unlicensed"
  /** 403 on this DN only: the API client does not monitor the extension. */
  | "not_monitored"
  /** 404 on the DN: no such extension. */
  | "unknown_dn";

const problems = new WeakMap<Error, CallControlProblem>();

function tagged<E extends Error>(error: E, problem: CallControlProblem): E {
  problems.set(error, problem);
  return error;
}

/** What a Call Control error says about the PBX's setup; undefined for other errors. */
export function callControlProblem(error: unknown): CallControlProblem | undefined {
  return error instanceof Error ? problems.get(error) : undefined;
}

const TOKEN_PATH = "/connect/token";
/** Renew this long before the computed expiry (bonvies: 5 minutes), and never later than 90 %
 *  into the lifetime. */
const RENEW_MARGIN_MS = 5 * 60_000;

interface Token {
  value: string;
  renewAt: number;
}

/** What the token answers showed: `expires_in` and the JWT's own lifetime, in seconds. */
export interface TokenLifetimes {
  expiresIn: number | undefined;
  jwtLifetime: number | undefined;
}

/**
 * The token of one API client on one PBX, shared by every driver of this process: 3CX keeps one
 * active token per client, so a gateway serving several extensions through one API client must
 * not have each driver revoke the others' token.
 */
interface TokenSlot {
  token?: Token;
  fetching?: Promise<string>;
  /** Told each new token. */
  listeners: Set<(token: string) => void>;
  lifetimes?: TokenLifetimes;
  /** A refused key is not sent again until it changes (see login-refusal.ts). */
  refusal: LoginRefusalGuard;
}

const tokenSlots = new Map<string, TokenSlot>();

function slotFor(origin: string, clientId: string): TokenSlot {
  const key = `${clientId}@${origin}`;
  let slot = tokenSlots.get(key);
  if (!slot) {
    slot = { listeners: new Set(), refusal: new LoginRefusalGuard() };
    tokenSlots.set(key, slot);
  }
  return slot;
}

export class CallControlApi {
  private readonly slot: TokenSlot;

  constructor(
    readonly http: PbxHttp,
    readonly credentials: CallControlCredentials,
    private readonly now: () => number = Date.now,
  ) {
    this.slot = slotFor(http.base.origin, credentials.clientId);
  }

  get clientId(): string {
    return this.credentials.clientId;
  }

  /** The token in use, if any (it may have expired). */
  currentToken(): string | undefined {
    return this.slot.token?.value;
  }

  /** When the current token is due for renewal (epoch ms by `now`), if one is held. */
  renewsAt(): number | undefined {
    return this.slot.token?.renewAt;
  }

  /** What the last token answer said about its lifetime (for `doctor`). */
  tokenLifetimes(): TokenLifetimes | undefined {
    return this.slot.lifetimes;
  }

  /** Calls `listener` with every new token of this API client; returns the unsubscribe. */
  onNewToken(listener: (token: string) => void): () => void {
    this.slot.listeners.add(listener);
    return () => this.slot.listeners.delete(listener);
  }

  /** A token believed valid: the current one, or a new one when it is due. */
  async validToken(): Promise<string> {
    const token = this.slot.token;
    if (token && this.now() < token.renewAt) return token.value;
    return this.newToken();
  }

  /**
   * A token other than `refused`: when a concurrent request already replaced it, that one, else a
   * new one. 3CX keeps one active token per client, so two requests must not both renew.
   */
  async tokenAfter(refused: string): Promise<string> {
    const token = this.slot.token;
    if (token && token.value !== refused) return token.value;
    return this.newToken();
  }

  private newToken(): Promise<string> {
    const slot = this.slot;
    slot.fetching ??= this.requestToken().finally(() => {
      slot.fetching = undefined;
    });
    return slot.fetching;
  }

  private async requestToken(): Promise<string> {
    const { clientId, apiKey } = this.credentials;
    const secret = typeof apiKey === "string" ? apiKey : await apiKey();
    this.slot.refusal.check(secret, { label: `Call Control API client "${clientId}"` });
    const response = await this.http.request("POST", TOKEN_PATH, {
      form: { client_id: clientId, client_secret: secret, grant_type: "client_credentials" },
      noCookies: true,
    });
    const body = PbxHttp.json(response);
    const accessToken = pick(body, "access_token");
    if (response.status === 200 && typeof accessToken === "string" && accessToken !== "") {
      const expiresIn = Number(pick(body, "expires_in"));
      const jwtLifetime = jwtLifetimeSeconds(accessToken);
      this.slot.lifetimes = {
        expiresIn: Number.isFinite(expiresIn) ? expiresIn : undefined,
        jwtLifetime,
      };
      this.slot.token = { value: accessToken, renewAt: this.renewAt(jwtLifetime ?? expiresIn) };
      for (const listener of this.slot.listeners) listener(accessToken);
      this.slot.refusal.clear();
      return accessToken;
    }
    const refused = this.tokenRefused(response, body);
    if (refused instanceof AuthError) this.slot.refusal.record(secret, refused);
    else this.slot.refusal.clear();
    throw refused;
  }

  /** Set while a refused API key blocks new token requests. */
  loginRefused(): LoginRefusal | undefined {
    return this.slot.refusal.current();
  }

  /** Allows one new token request with the same key (the user says it changed on the PBX). */
  clearRefusal(): void {
    this.slot.refusal.clear();
  }

  private renewAt(seconds: number): number {
    // No usable lifetime: renew on the first 401 only.
    if (!Number.isFinite(seconds) || seconds <= 0) return Number.POSITIVE_INFINITY;
    const lifetimeMs = seconds * 1000;
    const margin = Math.min(RENEW_MARGIN_MS, lifetimeMs * 0.1);
    return this.now() + lifetimeMs - margin;
  }

  private tokenRefused(response: PbxResponse, body: unknown): Dial3cxError {
    const status = response.status;
    const error = pick(body, "error");
    const origin = this.http.base.origin;
    if (status === 401 || error === "invalid_client" || error === "unauthorized_client") {
      return tagged(
        new AuthError(
          `The PBX rejected the Call Control API credentials (HTTP ${status}): wrong client id "${this.clientId}" or wrong API key. Check client_id (or DIAL3CX_CLIENT_ID) and the API key (DIAL3CX_API_KEY or the keyring) against Admin Console → Integrations → API; a lost key can only be regenerated there.`,
        ),
        "credentials",
      );
    }
    if (status === 404) {
      return tagged(
        new ProtocolError(
          `${origin} has no Call Control API (POST ${TOKEN_PATH} answered 404): it needs 3CX V20, and this looks like a V18 PBX. Use the web-client driver (driver = "webclient" or "auto").`,
        ),
        "unavailable",
      );
    }
    if (error === "unsupported_grant_type") {
      return tagged(
        new ProtocolError(
          `${origin} grants no Call Control tokens (unsupported_grant_type): its 3CX version has no Call Control API. Use the web-client driver.`,
        ),
        "unavailable",
      );
    }
    if (status === 403) {
      return tagged(
        new AuthError(
          `The PBX refused a Call Control token to API client "${this.clientId}" (HTTP 403): tick "3CX Call Control API Access" for it in Admin Console → Integrations → API, or check that this address is not blocked.`,
        ),
        "credentials",
      );
    }
    if (status >= 500) return serverFailed(status, "the Call Control token request");
    return new ProtocolError(
      `The PBX answered the Call Control token request with HTTP ${status} and no token.`,
    );
  }

  /**
   * A bearer request. On 401 the request was refused, so it is sent once more with a new token
   * (never a request that may have been carried out). A second 401 is an AuthError.
   */
  async request(method: "GET" | "POST", path: string, json?: unknown): Promise<PbxResponse> {
    const first = await this.validToken();
    const response = await this.send(method, path, first, json);
    if (response.status !== 401) return response;
    const second = await this.tokenAfter(first);
    const again = await this.send(method, path, second, json);
    if (again.status !== 401) return again;
    throw new AuthError(
      `The PBX refused a Call Control token it had just issued to API client "${this.clientId}" (HTTP 401). Another program may be using the same API client (3CX keeps one active token per client), or its access was revoked.`,
    );
  }

  private send(method: string, path: string, token: string, json: unknown) {
    return this.http.request(method, path, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      ...(json === undefined ? {} : { json }),
      noCookies: true,
    });
  }

  /** GET returning the JSON body; 403 and 404 are explained for the DN in the path. */
  async getJson(path: string, dn: string): Promise<unknown> {
    const response = await this.request("GET", path);
    if (response.status === 200) return PbxHttp.json(response);
    throw await this.refusal(response, dn, `GET ${path}`);
  }

  /** The typed error for a non-2xx answer on a DN's path. */
  async refusal(response: PbxResponse, dn: string, what: string): Promise<Dial3cxError> {
    const status = response.status;
    if (status === 403) return this.explainForbidden(dn);
    if (status === 404 && !(await this.dnExists(dn))) {
      return tagged(
        new RejectedError(
          `Extension ${dn} is not known to the Call Control API of the PBX (HTTP 404). Check the extension number.`,
        ),
        "unknown_dn",
      );
    }
    if (status >= 500) return serverFailed(status, what);
    const text = reasonText(response);
    return new RejectedError(
      `The PBX refused ${what} (HTTP ${status})${text ? `: ${text}` : ""}.`,
      status,
      text,
    );
  }

  /**
   * 403 on a DN: not monitored by this client, or (when `GET /callcontrol` is refused as well)
   * a licence without the Call Control API. The PBX's 403 body says neither [?].
   */
  async explainForbidden(dn: string): Promise<RejectedError> {
    const list = await this.request("GET", "/callcontrol").catch(() => undefined);
    if (list?.status === 403) {
      return tagged(
        new RejectedError(
          `The PBX refuses every Call Control request of API client "${this.clientId}" (HTTP 403): its licence has no Call Control API (3CX requires an Enterprise licence), or the client lacks "3CX Call Control API Access". Use the web-client driver, or ask the PBX admin.`,
          403,
        ),
        "unlicensed",
      );
    }
    return tagged(
      new RejectedError(
        `Extension ${dn} is not monitored by API client "${this.clientId}" (HTTP 403). Add it under Admin Console → Integrations → API → ${this.clientId} → Extensions to monitor.`,
        403,
      ),
      "not_monitored",
    );
  }

  /** Whether `GET /callcontrol` lists the DN; true when that cannot be told. */
  private async dnExists(dn: string): Promise<boolean> {
    const list = await this.request("GET", "/callcontrol").catch(() => undefined);
    if (list?.status !== 200) return true;
    return listedDns(PbxHttp.json(list)).includes(dn);
  }
}

/**
 * The lifetime a JWT claims (`exp − iat`, seconds), or undefined when it is no JWT or lacks them.
 * The signature is not checked: the token is the PBX's business, the lifetime only a schedule.
 */
export function jwtLifetimeSeconds(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      exp?: unknown;
      iat?: unknown;
      nbf?: unknown;
    };
    const exp = Number(claims.exp);
    const issued = Number(claims.iat ?? claims.nbf);
    if (!Number.isFinite(exp) || !Number.isFinite(issued) || exp <= issued) return undefined;
    return exp - issued;
  } catch {
    return undefined;
  }
}

export function serverFailed(status: number, what: string): NetworkError {
  return new NetworkError(
    `The PBX failed to answer ${what} (HTTP ${status}). Try again later; if it keeps failing, the PBX needs attention.`,
  );
}

/** `reasontext` of a CallControlResultResponse, or a short error text. */
export function reasonText(response: PbxResponse): string | undefined {
  const body = PbxHttp.json(response);
  for (const key of ["reasontext", "error", "message"]) {
    const value = pick(body, key);
    if (typeof value === "string" && value.trim() !== "") return value.trim().slice(0, 300);
  }
  return undefined;
}
