// Web-client login (reference §2, §3): V20 token login with optional 2FA, V18 cookie login,
// auto-detected (V20 first, V18 on a 404), the refresh-token grant, and the MyPhone session.
// A rejected login is never retried here: 3CX blocks an address after repeated failures.
import { AuthError, NetworkError, ProtocolError, TwoFactorRequiredError } from "../../errors.js";
import { PbxHttp as Http, type PbxHttp, type PbxResponse } from "../http.js";

export type PbxVersion = 20 | 18;

export interface LoginRequest {
  extension: string;
  password: string;
  securityCode?: string;
  pbxVersion?: "auto" | PbxVersion;
}

/** What a login yields besides the cookies, which stay in the PbxHttp jar. */
export interface Credentials {
  pbxVersion: PbxVersion;
  accessToken?: string;
  /** Epoch ms. `expires_in` is read as seconds, the shorter reading (reference §12.4). */
  accessTokenExpiresAt?: number;
}

export interface MyPhoneSession {
  sessionKey: string;
  pass: string;
}

export const V20_LOGIN = "/webclient/api/Login/GetAccessToken";
export const V18_LOGIN = "/webclient/api/Login";
const SESSION = "/webclient/api/MyPhone/session";
const TOKEN = "/connect/token";

const NO_RETRY = "dial3cx will not retry: 3CX blocks an address after repeated failed logins.";

export async function logIn(http: PbxHttp, request: LoginRequest): Promise<Credentials> {
  const version = request.pbxVersion ?? "auto";
  if (version === 18) return logInV18(http, request);
  const v20 = await logInV20(http, request);
  if (v20 !== "not-found") return v20;
  if (version === 20) throw notV20(http);
  return logInV18(http, request);
}

async function logInV20(http: PbxHttp, request: LoginRequest): Promise<Credentials | "not-found"> {
  const response = await http.request("POST", V20_LOGIN, {
    json: {
      Username: request.extension,
      Password: request.password,
      SecurityCode: request.securityCode ?? "",
      ReCaptchaResponse: null,
    },
  });
  if (response.status === 404) return "not-found";
  refuseFailedLogin(response);
  const body = Http.json<TokenEnvelope>(response);
  const status = body?.Status;
  if (status === "AuthSuccess" && body?.Token?.access_token) {
    return { pbxVersion: 20, ...tokenFields(body.Token) };
  }
  if (status === "Required2FA") {
    throw request.securityCode
      ? new AuthError(`The PBX did not accept the 2FA code. Use a fresh code. ${NO_RETRY}`)
      : new TwoFactorRequiredError();
  }
  if (status) {
    throw new AuthError(
      `The PBX rejected extension ${request.extension} or its password (${status}). ${NO_RETRY}`,
    );
  }
  throw new ProtocolError(`The PBX answered the login with HTTP ${response.status} and no token.`);
}

async function logInV18(http: PbxHttp, request: LoginRequest): Promise<Credentials> {
  const response = await http.request("POST", V18_LOGIN, {
    json: { Username: request.extension, Password: request.password },
  });
  if (response.status === 404) throw notA3cx(http, "a V20 or V18 login");
  refuseFailedLogin(response);
  if (response.status !== 200) {
    throw new ProtocolError(`The PBX answered the V18 login with HTTP ${response.status}.`);
  }
  return { pbxVersion: 18 };
}

function refuseFailedLogin(response: PbxResponse): void {
  if (response.status === 403) {
    throw new AuthError(
      "The PBX refused to log in from this address (HTTP 403): it blocks addresses after repeated failed logins. Wait before trying again, or ask the PBX admin to unblock it.",
      "blocked",
    );
  }
  // Which status 3CX uses for a wrong password is not recorded (reference §12.3): any refusal of
  // the login request is a rejected login, never to be repeated.
  if (response.status >= 400 && response.status < 500) {
    throw new AuthError(
      `The PBX rejected the extension or password (HTTP ${response.status}). ${NO_RETRY}`,
    );
  }
  if (response.status >= 500) {
    throw new NetworkError(
      `The PBX failed to answer the login (HTTP ${response.status}). Try again later.`,
    );
  }
}

/** Pinned to V20, but the PBX has no V20 login: most likely an older 3CX, else a wrong URL. */
function notV20(http: PbxHttp): ProtocolError {
  return new ProtocolError(
    `${http.base.origin} has no 3CX V20 web-client login (it answered 404). If it runs 3CX V18, set the PBX version to "auto" or 18; otherwise check the PBX URL.`,
  );
}

function notA3cx(http: PbxHttp, what: string): ProtocolError {
  return new ProtocolError(
    `${http.base.origin} has no 3CX web client (${what} answered 404). Check the PBX URL: it is the address of the 3CX web client, e.g. https://pbx.example.com:5001.`,
  );
}

interface TokenEnvelope {
  Status?: string;
  Token?: TokenBody | null;
}

interface TokenBody {
  access_token?: string;
  expires_in?: number;
}

function tokenFields(token: TokenBody): Omit<Credentials, "pbxVersion"> {
  const expiresIn = Number(token.expires_in);
  return {
    accessToken: token.access_token,
    accessTokenExpiresAt: Number.isFinite(expiresIn) ? Date.now() + expiresIn * 1000 : undefined,
  };
}

/**
 * New access token from the RefreshTokenCookie (no password needed). Undefined when the PBX
 * refuses the grant: the caller then needs a full login.
 */
export async function refreshAccessToken(http: PbxHttp): Promise<Credentials | undefined> {
  if (!http.cookies.has("RefreshTokenCookie")) return undefined;
  const response = await http.request("POST", TOKEN, {
    form: { client_id: "Webclient", grant_type: "refresh_token" },
  });
  const body = response.status === 200 ? Http.json<TokenBody>(response) : undefined;
  if (!body?.access_token) return undefined;
  return { pbxVersion: 20, ...tokenFields(body) };
}

export class SessionRefusedError extends Error {
  constructor(readonly status?: number) {
    super(`The PBX refused the MyPhone session (HTTP ${status}).`);
  }
}

/**
 * Opens a MyPhone session. Throws SessionRefusedError on 401/403 (stale token or cookie).
 * `impersonate`: the extension an API client's token opens the session for (3CX 20.0.8+, as
 * 3cx/xapi-tutorial `src/impersonate.spec.ts` does it [A]; not yet seen on a live PBX).
 */
export async function openMyPhoneSession(
  http: PbxHttp,
  credentials: Credentials,
  impersonate?: string,
): Promise<MyPhoneSession> {
  const headers: Record<string, string> = {};
  if (credentials.accessToken) headers.authorization = `Bearer ${credentials.accessToken}`;
  // What the 3CX web client sends (reference §2 row 3); a bot says it is not human, as 3CX's test.
  const json =
    impersonate === undefined
      ? { name: "Webclient", version: "20.0.9.0", isHuman: true }
      : { name: "dial3cx", version: "20.0.9.0", isHuman: false, impersonate };
  const response = await http.request("POST", SESSION, {
    headers,
    json,
    ...(impersonate === undefined ? {} : { noCookies: true }),
  });
  if (response.status === 401 || response.status === 403) {
    throw new SessionRefusedError(response.status);
  }
  const body = Http.json<{ sessionKey?: string; pass?: string }>(response);
  if (response.status !== 200 || !body?.sessionKey || !body.pass) {
    throw new ProtocolError(
      `The PBX did not open a MyPhone session (HTTP ${response.status}${body ? "" : ", no JSON"}).`,
    );
  }
  return { sessionKey: body.sessionKey, pass: body.pass };
}
