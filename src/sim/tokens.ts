// Access and refresh tokens of the simulated V20 PBX. They are JWT-shaped (base64url
// header.payload.signature, claims unique_name, role, exp) but signed HS256 with a key of this
// simulator: the real PBX signs ES256 [L], and no client should verify signatures anyway.
// Every issued token is also kept in a registry, so that faults can revoke them all at once, and
// a Call Control client's new token can revoke its old one (one active token per client, §10).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";

/** "client": a Call Control API token (client_credentials); its subject is the client id. */
export type TokenKind = "access" | "refresh" | "client";

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

interface TokenRecord {
  /** The extension, or the API client id of a "client" token. */
  extension: string;
  kind: TokenKind;
  expiresAtMs: number;
}

/** Refresh tokens are said to last 60 or 90 days [L]; we pick 60 [?]. */
const REFRESH_LIFETIME_SECONDS = 60 * 24 * 3600;

/** The role claims of an ordinary user and of an API client; the real values are not recorded [?]. */
const USER_ROLE = "users";
const CLIENT_ROLE = "api";

export class TokenIssuer {
  private readonly key = randomBytes(32);
  private readonly issued = new Map<string, TokenRecord>();

  constructor(
    private readonly accessLifetimeSeconds: number,
    private readonly now: () => number,
  ) {}

  issue(extension: string, kind: TokenKind): IssuedToken {
    this.prune();
    const lifetime = kind === "refresh" ? REFRESH_LIFETIME_SECONDS : this.accessLifetimeSeconds;
    const nowMs = this.now();
    const jti = randomUUID();
    const claims = {
      unique_name: extension,
      role: kind === "client" ? CLIENT_ROLE : USER_ROLE,
      token_use: kind,
      jti,
      iat: Math.floor(nowMs / 1000),
      nbf: Math.floor(nowMs / 1000),
      exp: Math.floor(nowMs / 1000) + lifetime,
    };
    this.issued.set(jti, { extension, kind, expiresAtMs: nowMs + lifetime * 1000 });
    return { token: this.sign(claims), expiresInSeconds: lifetime };
  }

  /** The extension a still-valid token of `kind` belongs to, or undefined. */
  verify(token: string | undefined, kind: TokenKind): string | undefined {
    const jti = token ? this.jtiOf(token) : undefined;
    const record = jti ? this.issued.get(jti) : undefined;
    if (!record || record.kind !== kind) return undefined;
    if (this.now() >= record.expiresAtMs) return undefined;
    return record.extension;
  }

  /** Revokes every token of `kind` issued to `subject` (an extension or API client id). */
  revokeSubject(subject: string, kind: TokenKind): void {
    for (const [jti, record] of this.issued) {
      if (record.kind === kind && record.extension === subject) this.issued.delete(jti);
    }
  }

  /** Revokes every token of `kind` (fault injection). */
  revokeAll(kind: TokenKind): void {
    for (const [jti, record] of this.issued) if (record.kind === kind) this.issued.delete(jti);
  }

  private sign(claims: object): string {
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = base64url(JSON.stringify(claims));
    return `${header}.${payload}.${this.signature(`${header}.${payload}`)}`;
  }

  private signature(input: string): string {
    return createHmac("sha256", this.key).update(input).digest("base64url");
  }

  private jtiOf(token: string): string | undefined {
    const [header, payload, signature, ...rest] = token.split(".");
    if (!header || !payload || !signature || rest.length > 0) return undefined;
    const expected = Buffer.from(this.signature(`${header}.${payload}`));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    try {
      const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      const jti = (claims as { jti?: unknown }).jti;
      return typeof jti === "string" ? jti : undefined;
    } catch {
      return undefined;
    }
  }

  private prune(): void {
    const nowMs = this.now();
    for (const [jti, record] of this.issued)
      if (nowMs >= record.expiresAtMs) this.issued.delete(jti);
  }
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
