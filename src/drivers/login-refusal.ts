// The "login refused" state of one account, shared by both drivers. After the PBX refused a
// login (wrong password or API key, 2FA needed, address blocked) no login is attempted again
// with the same secret: 3CX blocks the whole address after a few failures, which locks out the
// office. The state ends when the secret's source yields a different secret, or by `clear()`
// (an explicit retry: `dial3cx login`, a gateway reload, POST /v1/accounts/{ext}/retry).
// Only a hash of the refused secret is kept.
import { createHash } from "node:crypto";
import { LoginRefusedError } from "../errors.js";

export interface LoginRefusal {
  /** The PBX's refusal, as first reported. */
  message: string;
  code: string;
  since: Date;
}

export class LoginRefusalGuard {
  private refused: { digest: string; error: Error; since: Date } | undefined;

  current(): LoginRefusal | undefined {
    const refused = this.refused;
    if (!refused) return undefined;
    const code = String((refused.error as { code?: unknown }).code ?? "auth");
    return { message: refused.error.message, code, since: refused.since };
  }

  /** Throws LoginRefusedError when `secret` is the one refused; a different one ends the state. */
  check(secret: string, who: { label: string; extension?: string }): void {
    const refused = this.refused;
    if (!refused) return;
    if (digest(secret) !== refused.digest) {
      this.refused = undefined;
      return;
    }
    throw new LoginRefusedError(
      `The PBX refused the login of ${who.label} at ${refused.since.toISOString()}, and dial3cx logs in again only with other credentials: run \`dial3cx login\` or fix the password source; a running gateway then needs POST /v1/accounts/${who.extension ?? "{extension}"}/retry or a reload. (${refused.error.message})`,
      refused.error,
      refused.since,
    );
  }

  record(secret: string, error: Error): void {
    this.refused = { digest: digest(secret), error, since: new Date() };
  }

  clear(): void {
    this.refused = undefined;
  }
}

function digest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
