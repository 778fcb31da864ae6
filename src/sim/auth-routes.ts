// Login routes of the simulated PBX. V20 (reference §2): GetAccessToken, /connect/token and
// MyPhone/session with a Bearer token. V18 (§3): /webclient/api/Login and MyPhone/session with a
// login cookie. A PBX serves only its own version's login paths, so the other's answer 404.
// `/connect/token` also grants Call Control API tokens (client_credentials, reference §10).

import {
  bearerToken,
  cookies,
  empty,
  json,
  parseJsonObject,
  type Router,
  type SimRequest,
  type SimResponse,
  setCookie,
  stringField,
  text,
} from "./http.js";
import type { Pbx } from "./pbx.js";

export type LoginFailureMode = "status" | "http401";

export interface AuthRouteOptions {
  pbxVersion: 20 | 18;
  loginFailure: LoginFailureMode;
  /**
   * A client_credentials `expires_in`: the token's real lifetime in seconds (20.0.9 on) or minutes
   * (before) [A], or a fixed number of seconds whatever the JWT's `exp` says: a live PBX sent 60 on
   * a token valid about an hour (reference §10.1 item 4).
   */
  clientTokenExpiresIn: "seconds" | "minutes" | number;
}

export const REFRESH_COOKIE = "RefreshTokenCookie";
/** The real V18 cookie name is not recorded (reference §12.2): an obviously simulated name [?]. */
export const V18_SESSION_COOKIE = "Dial3cxSimSession";

/** `version` returned by MyPhone/session; real builds vary [?]. */
const SESSION_VERSION = { 20: "20.0.9.0", 18: "18.0.9.20" } as const;

export function addAuthRoutes(router: Router, pbx: Pbx, options: AuthRouteOptions): void {
  if (options.pbxVersion === 20) {
    router.add("POST", "/webclient/api/Login/GetAccessToken", (r) =>
      getAccessToken(pbx, options, r),
    );
    router.add("POST", "/connect/token", (r) => connectToken(pbx, options, r));
    router.add("POST", "/webclient/api/MyPhone/session", (r) => v20Session(pbx, options, r));
  } else {
    router.add("POST", "/webclient/api/Login", (r) => v18Login(pbx, r));
    router.add("POST", "/webclient/api/MyPhone/session", (r) =>
      openMyPhoneSession(
        pbx,
        options,
        r,
        pbx.verifyV18Cookie(cookies(r.headers).get(V18_SESSION_COOKIE)),
      ),
    );
  }
}

function credentialsOf(request: SimRequest) {
  const body = parseJsonObject(request.body);
  if (!body) return undefined;
  return {
    username: stringField(body, "Username") ?? "",
    password: stringField(body, "Password") ?? "",
    securityCode: stringField(body, "SecurityCode"),
  };
}

/** The envelope for every non-success Status; only `AuthSuccess` and `Required2FA` are known. */
function statusOnly(status: "AuthFailed" | "Required2FA"): SimResponse {
  return json(200, { Status: status, Token: null, TwoFactorAuth: null });
}

function getAccessToken(pbx: Pbx, options: AuthRouteOptions, request: SimRequest): SimResponse {
  const credentials = credentialsOf(request);
  if (!credentials) return text(400, "Bad Request: the body must be a JSON object");
  const outcome = pbx.login({
    ...credentials,
    remoteAddress: request.remoteAddress,
    checkTotp: true,
  });
  switch (outcome.kind) {
    case "blocked":
      // The body of a blocked login is not recorded [?]; clients only need the status.
      return empty(403);
    case "failed":
      // 200 + AuthFailed (default) or a bare 401: the reference does not know which [?] (§12.3).
      return options.loginFailure === "status" ? statusOnly("AuthFailed") : empty(401);
    case "required2fa":
      return statusOnly("Required2FA");
    case "success": {
      const access = pbx.tokens.issue(outcome.extension.number, "access");
      const refresh = pbx.tokens.issue(outcome.extension.number, "refresh");
      return json(
        200,
        {
          Status: "AuthSuccess",
          Token: {
            token_type: "Bearer",
            expires_in: access.expiresInSeconds,
            access_token: access.token,
            refresh_token: refresh.token,
          },
          TwoFactorAuth: null,
        },
        { "set-cookie": setCookie(REFRESH_COOKIE, refresh.token, request.secure) },
      );
    }
  }
}

/**
 * One handler per OAuth grant type of `/connect/token`: the web client's refresh-token grant and
 * the Call Control API's `client_credentials` grant (reference §10).
 */
type GrantHandler = (
  pbx: Pbx,
  form: URLSearchParams,
  request: SimRequest,
  options: AuthRouteOptions,
) => SimResponse;

const grants: Record<string, GrantHandler> = {
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

function connectToken(pbx: Pbx, options: AuthRouteOptions, request: SimRequest): SimResponse {
  const form = new URLSearchParams(request.body.toString("utf8"));
  const grant = grants[form.get("grant_type") ?? ""];
  if (!grant) return json(400, { error: "unsupported_grant_type" });
  return grant(pbx, form, request, options);
}

/**
 * A Call Control token for `client_id` + `client_secret` (the API key). A wrong id or key gets
 * 401 `invalid_client`, as OAuth servers answer a failed client authentication [?]. The answer has
 * no refresh token: a client asks again with its key.
 */
function clientCredentialsGrant(
  pbx: Pbx,
  form: URLSearchParams,
  _request: SimRequest,
  options: AuthRouteOptions,
): SimResponse {
  const issued = pbx.grantClientToken(form.get("client_id") ?? "", form.get("client_secret") ?? "");
  if (!issued) return json(401, { error: "invalid_client" });
  const seconds = issued.expiresInSeconds;
  const unit = options.clientTokenExpiresIn;
  return json(200, {
    token_type: "Bearer",
    expires_in:
      typeof unit === "number"
        ? unit
        : unit === "minutes"
          ? Math.max(1, Math.floor(seconds / 60))
          : seconds,
    access_token: issued.token,
  });
}

function refreshTokenGrant(pbx: Pbx, form: URLSearchParams, request: SimRequest): SimResponse {
  if (form.get("client_id") !== "Webclient") return json(400, { error: "invalid_client" });
  // A missing, unknown or expired cookie: the standard OAuth answer [?] (not recorded for 3CX).
  const extension = pbx.tokens.verify(cookies(request.headers).get(REFRESH_COOKIE), "refresh");
  if (!extension) return json(400, { error: "invalid_grant" });
  // Impersonation needs an admin (§2); no simulated user is one [?].
  if (form.has("impersonate")) return empty(403);
  const access = pbx.tokens.issue(extension, "access");
  return json(200, {
    token_type: "Bearer",
    expires_in: access.expiresInSeconds,
    access_token: access.token,
    refresh_token: null,
  });
}

function v18Login(pbx: Pbx, request: SimRequest): SimResponse {
  const credentials = credentialsOf(request);
  if (!credentials) return text(400, "Bad Request: the body must be a JSON object");
  const outcome = pbx.login({
    ...credentials,
    remoteAddress: request.remoteAddress,
    checkTotp: false,
  });
  if (outcome.kind === "blocked") return empty(403);
  // V18's failure status is not recorded (§12.2); 401 with no body [?].
  if (outcome.kind !== "success") return empty(401);
  const cookie = pbx.issueV18Cookie(outcome.extension);
  // The success body is not recorded either; the seed only checks for 200 [?].
  return json(200, {}, { "set-cookie": setCookie(V18_SESSION_COOKIE, cookie, request.secure) });
}

/**
 * V20 MyPhone/session: with a user's access token, that user's session. With an API client's
 * client_credentials token and `"impersonate": "<ext>"`, the extension's session without its
 * password (3CX 20.0.8+, 3cx/xapi-tutorial `src/impersonate.spec.ts` [A]). Which permission the
 * client needs is not recorded (§12.16): the simulator lets a client impersonate the extensions it
 * monitors and answers 403 otherwise, and 401 to a client token without `impersonate` [?].
 */
function v20Session(pbx: Pbx, options: AuthRouteOptions, request: SimRequest): SimResponse {
  const token = bearerToken(request.headers);
  const user = pbx.extension(pbx.tokens.verify(token, "access") ?? "");
  if (user) return openMyPhoneSession(pbx, options, request, user);
  const client = pbx.apiClientOf(token);
  const body = parseJsonObject(request.body);
  const target = body ? stringField(body, "impersonate") : undefined;
  if (!client || target === undefined) return empty(401);
  const extension = pbx.extension(target);
  if (!extension || !client.monitor.includes(target) || !pbx.config.callControlLicensed) {
    return empty(403);
  }
  return openMyPhoneSession(pbx, options, request, extension);
}

function openMyPhoneSession(
  pbx: Pbx,
  options: AuthRouteOptions,
  request: SimRequest,
  extension: ReturnType<Pbx["extension"]>,
): SimResponse {
  if (!extension) return empty(401);
  // Any JSON object is accepted ({name, version, isHuman} in any key case, or `{}`), or no body.
  if (parseJsonObject(request.body) === null) {
    return text(400, "Bad Request: the body must be a JSON object");
  }
  const session = pbx.openSession(extension);
  return json(200, {
    sessionKey: session.key,
    pass: session.pass,
    version: SESSION_VERSION[options.pbxVersion],
  });
}
