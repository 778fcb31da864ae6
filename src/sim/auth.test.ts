import { Secret, TOTP } from "otpauth";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TOTP_SECRET } from "./scenario.js";
import type { SimulatorOptions } from "./server.js";
import { startWired, type WireClient } from "./testing.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function start(options: SimulatorOptions = {}): Promise<WireClient> {
  const wired = await startWired(options);
  stops.push(wired.stop);
  return wired.client;
}

const GET_ACCESS_TOKEN = "/webclient/api/Login/GetAccessToken";
const SESSION = "/webclient/api/MyPhone/session";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function credentials(username: string, password: string, securityCode = "") {
  return {
    Username: username,
    Password: password,
    SecurityCode: securityCode,
    ReCaptchaResponse: null,
  };
}

function jwtClaims(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
}

function cookiePair(setCookie: string): string {
  return setCookie.split(";")[0] ?? "";
}

function connectToken(client: WireClient, form: string, cookie?: string) {
  return client.request("POST", "/connect/token", {
    headers: {
      "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
      ...(cookie ? { cookie } : {}),
    },
    body: form,
  });
}

function openSession(
  client: WireClient,
  accessToken: string,
  body: unknown = { name: "Webclient" },
) {
  return client.postJson(SESSION, body, { authorization: `Bearer ${accessToken}` });
}

describe("V20 login (reference §2)", () => {
  it("answers GetAccessToken with the token envelope and the refresh cookie", async () => {
    const client = await start();
    const answer = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    expect(answer.status).toBe(200);
    const envelope = JSON.parse(answer.text);
    expect(Object.keys(envelope)).toEqual(["Status", "Token", "TwoFactorAuth"]);
    expect(envelope.Status).toBe("AuthSuccess");
    expect(envelope.TwoFactorAuth).toBeNull();
    expect(envelope.Token).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const { access_token, refresh_token } = envelope.Token;
    expect(access_token.split(".")).toHaveLength(3);
    expect(jwtClaims(access_token)).toMatchObject({ unique_name: "100", role: expect.any(String) });
    expect(jwtClaims(access_token).exp).toBeGreaterThan(Date.now() / 1000);
    expect(answer.headers.getSetCookie()).toEqual([
      `RefreshTokenCookie=${refresh_token}; path=/; HttpOnly; SameSite=Strict`,
    ]);
  });

  it("accepts the e-mail address as user name, in any case", async () => {
    const client = await start();
    const answer = await client.postJson(GET_ACCESS_TOKEN, {
      Username: "Erika.Mustermann@example.com",
      Password: "dial3cx-demo",
    });
    expect(JSON.parse(answer.text).Status).toBe("AuthSuccess");
  });

  it("refuses a wrong password with 200 AuthFailed by default", async () => {
    const client = await start();
    const answer = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "wrong"));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      Status: "AuthFailed",
      Token: null,
      TwoFactorAuth: null,
    });
    expect(answer.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a wrong password with a bare 401 when configured so", async () => {
    const client = await start({ loginFailure: "http401" });
    const unknownUser = await client.postJson(GET_ACCESS_TOKEN, credentials("999", "dial3cx-demo"));
    expect(unknownUser.status).toBe(401);
    expect(unknownUser.text).toBe("");
  });

  it("answers 400 to a body that is not JSON", async () => {
    const client = await start();
    const answer = await client.request("POST", GET_ACCESS_TOKEN, { body: "Username=100" });
    expect(answer.status).toBe(400);
  });

  it("issues a new access token from the refresh cookie on /connect/token", async () => {
    const client = await start({ tokenLifetimeSeconds: 60 });
    const login = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    const cookie = cookiePair(login.headers.getSetCookie()[0] ?? "");
    const answer = await connectToken(
      client,
      "client_id=Webclient&grant_type=refresh_token",
      cookie,
    );
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 60, refresh_token: null });
    expect(jwtClaims(body.access_token).unique_name).toBe("100");
    expect((await openSession(client, body.access_token)).status).toBe(200);
  });

  it("refuses /connect/token without a valid cookie, client or grant", async () => {
    const client = await start();
    const form = "client_id=Webclient&grant_type=refresh_token";
    const noCookie = await connectToken(client, form);
    expect([noCookie.status, JSON.parse(noCookie.text)]).toEqual([400, { error: "invalid_grant" }]);
    const badCookie = await connectToken(client, form, "RefreshTokenCookie=a.b.c");
    expect(badCookie.status).toBe(400);
    const login = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    const cookie = cookiePair(login.headers.getSetCookie()[0] ?? "");
    const badClient = await connectToken(
      client,
      "client_id=Other&grant_type=refresh_token",
      cookie,
    );
    expect(JSON.parse(badClient.text)).toEqual({ error: "invalid_client" });
    const otherGrant = await connectToken(client, "client_id=x&grant_type=password");
    expect([otherGrant.status, JSON.parse(otherGrant.text)]).toEqual([
      400,
      { error: "unsupported_grant_type" },
    ]);
    // client_credentials is the Call Control grant: an unknown client is refused (callcontrol.test).
    const unknownClient = await connectToken(
      client,
      "client_id=x&client_secret=y&grant_type=client_credentials",
    );
    expect([unknownClient.status, JSON.parse(unknownClient.text)]).toEqual([
      401,
      { error: "invalid_client" },
    ]);
    const impersonate = await connectToken(client, `${form}&impersonate=101`, cookie);
    expect(impersonate.status).toBe(403);
  });

  it("opens a MyPhone session with the bearer token, whatever the key case of the body", async () => {
    const client = await start();
    const login = JSON.parse(
      (await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"))).text,
    );
    const token = login.Token.access_token;
    for (const body of [
      { name: "Webclient", version: "20.0.9.0", isHuman: true },
      { Name: "Webclient", Version: "nope", fingerprint: "abc" },
      {},
    ]) {
      const answer = await openSession(client, token, body);
      expect(answer.status).toBe(200);
      const session = JSON.parse(answer.text);
      expect(session).toEqual({
        sessionKey: expect.stringMatching(UUID),
        pass: expect.stringMatching(UUID),
        version: "20.0.9.0",
      });
    }
    const noBody = await client.request("POST", SESSION, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(noBody.status).toBe(200);
  });

  it("answers 401 with an empty body to a missing, bad or expired bearer", async () => {
    let clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ tokenLifetimeSeconds: 60, now: () => clock });
    expect((await client.postJson(SESSION, {})).status).toBe(401);
    const forged = await openSession(
      client,
      "eyJhbGciOiJIUzI1NiJ9.eyJ1bmlxdWVfbmFtZSI6IjEwMCJ9.c2ln",
    );
    expect([forged.status, forged.text]).toEqual([401, ""]);
    const login = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    const token = JSON.parse(login.text).Token.access_token;
    const cookie = cookiePair(login.headers.getSetCookie()[0] ?? "");
    clock += 59_000;
    expect((await openSession(client, token)).status).toBe(200);
    clock += 1_000;
    const expired = await openSession(client, token);
    expect([expired.status, expired.text]).toEqual([401, ""]);
    // The refresh cookie outlives the access token.
    const refreshed = await connectToken(
      client,
      "client_id=Webclient&grant_type=refresh_token",
      cookie,
    );
    expect((await openSession(client, JSON.parse(refreshed.text).access_token)).status).toBe(200);
  });

  it("expires tokens on demand through the expireTokens and expireRefreshTokens faults", async () => {
    const client = await start();
    const login = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    const token = JSON.parse(login.text).Token.access_token;
    const cookie = cookiePair(login.headers.getSetCookie()[0] ?? "");
    await client.postJson("/__sim/faults", { expireTokens: true });
    expect((await openSession(client, token)).status).toBe(401);
    const form = "client_id=Webclient&grant_type=refresh_token";
    const refreshed = await connectToken(client, form, cookie);
    expect(refreshed.status).toBe(200);
    await client.postJson("/__sim/faults", { expireRefreshTokens: true });
    expect((await connectToken(client, form, cookie)).status).toBe(400);
  });
});

describe("V18 login (reference §3)", () => {
  it("sets a session cookie that MyPhone/session accepts", async () => {
    const client = await start({ pbxVersion: 18 });
    const login = await client.postJson("/webclient/api/Login", {
      Password: "dial3cx-demo",
      Username: "100",
    });
    expect(login.status).toBe(200);
    const [setCookie] = login.headers.getSetCookie();
    expect(setCookie).toMatch(/^Dial3cxSimSession=[\w-]+; path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = cookiePair(setCookie ?? "");
    const session = await client.postJson(
      SESSION,
      { name: "Webclient", version: "nope", isHuman: true },
      { cookie },
    );
    expect(session.status).toBe(200);
    expect(JSON.parse(session.text)).toMatchObject({ sessionKey: expect.stringMatching(UUID) });
    expect((await client.postJson(SESSION, {})).status).toBe(401);
    expect((await client.postJson(SESSION, {}, { cookie: "Dial3cxSimSession=nope" })).status).toBe(
      401,
    );
  });

  it("refuses a wrong password with 401", async () => {
    const client = await start({ pbxVersion: 18 });
    const login = await client.postJson("/webclient/api/Login", {
      Password: "wrong",
      Username: "100",
    });
    expect([login.status, login.text]).toEqual([401, ""]);
  });
});

describe("version detection", () => {
  it("answers 404 to the other version's login paths", async () => {
    const v20 = await start({ pbxVersion: 20 });
    expect(
      (await v20.postJson("/webclient/api/Login", credentials("100", "dial3cx-demo"))).status,
    ).toBe(404);
    const v18 = await start({ pbxVersion: 18 });
    expect((await v18.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"))).status).toBe(
      404,
    );
    expect((await connectToken(v18, "client_id=Webclient&grant_type=refresh_token")).status).toBe(
      404,
    );
  });

  it("answers 404 to unknown paths and 405 to a wrong method", async () => {
    const client = await start();
    expect((await client.request("GET", "/nothing/here")).status).toBe(404);
    const wrongMethod = await client.request("GET", GET_ACCESS_TOKEN);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });
});

describe("2FA (reference §2)", () => {
  const totp = (timestamp: number) =>
    TOTP.generate({ secret: Secret.fromBase32(DEFAULT_TOTP_SECRET), timestamp });

  it("asks for a code, refuses a wrong one and accepts a valid TOTP code", async () => {
    const clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ now: () => clock });
    const status = async (code: string) =>
      JSON.parse(
        (await client.postJson(GET_ACCESS_TOKEN, credentials("102", "dial3cx-2fa", code))).text,
      );
    expect(await status("")).toEqual({ Status: "Required2FA", Token: null, TwoFactorAuth: null });
    const valid = totp(clock);
    const wrong = valid === "000000" ? "111111" : "000000";
    expect((await status(wrong)).Status).toBe("Required2FA");
    expect((await status(valid)).Status).toBe("AuthSuccess");
    // One 30 s step of clock skew is tolerated, two are not.
    expect((await status(totp(clock - 30_000))).Status).toBe("AuthSuccess");
    expect((await status(totp(clock - 90_000))).Status).toBe("Required2FA");
  });

  it("checks the password before the code", async () => {
    const client = await start();
    const answer = await client.postJson(GET_ACCESS_TOKEN, credentials("102", "wrong"));
    expect(JSON.parse(answer.text).Status).toBe("AuthFailed");
  });
});

describe("lockout after failed logins", () => {
  it("blocks the address for the window after 5 failures, even with the right password", async () => {
    let clock = Date.parse("2025-03-01T08:00:00Z");
    const client = await start({ now: () => clock });
    for (let i = 0; i < 5; i++) {
      const failed = await client.postJson(GET_ACCESS_TOKEN, credentials("100", `wrong-${i}`));
      expect(JSON.parse(failed.text).Status).toBe("AuthFailed");
      clock += 1000;
    }
    const blocked = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    expect(blocked.status).toBe(403);
    const otherUser = await client.postJson(GET_ACCESS_TOKEN, credentials("101", "dial3cx-101"));
    expect(otherUser.status).toBe(403);
    clock += 600_000 - 5000 - 1; // 1 ms before the first failure is 10 minutes old
    expect(
      (await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"))).status,
    ).toBe(403);
    clock += 1; // the first failure leaves the 10-minute window
    const again = await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"));
    expect(JSON.parse(again.text).Status).toBe("AuthSuccess");
  });

  it("counts wrong 2FA codes but not the empty first step", async () => {
    const client = await start({ lockout: { max: 2, windowMs: 60_000 } });
    const attempt = (code: string) =>
      client.postJson(GET_ACCESS_TOKEN, credentials("102", "dial3cx-2fa", code));
    await attempt("");
    await attempt("");
    await attempt("000001");
    expect((await attempt("")).status).toBe(200);
    await attempt("000002");
    expect((await attempt("")).status).toBe(403);
  });

  it("blocks the V18 login path too", async () => {
    const client = await start({ pbxVersion: 18, lockout: { max: 1, windowMs: 60_000 } });
    expect(
      (await client.postJson("/webclient/api/Login", { Username: "100", Password: "x" })).status,
    ).toBe(401);
    const blocked = await client.postJson("/webclient/api/Login", {
      Username: "100",
      Password: "dial3cx-demo",
    });
    expect(blocked.status).toBe(403);
  });

  it("is cleared by POST /__sim/reset", async () => {
    const client = await start({ lockout: { max: 1, windowMs: 60_000 } });
    await client.postJson(GET_ACCESS_TOKEN, credentials("100", "wrong"));
    expect(
      (await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"))).status,
    ).toBe(403);
    await client.request("POST", "/__sim/reset");
    expect(
      (await client.postJson(GET_ACCESS_TOKEN, credentials("100", "dial3cx-demo"))).status,
    ).toBe(200);
  });
});
