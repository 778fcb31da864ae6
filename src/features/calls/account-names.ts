// The keyring account names of an extension's password and refresh token. Apart from account.ts
// so that the warm call (quick-call.ts) can name them without loading the drivers.
import type { Settings } from "../settings/config.js";

/** The keyring account name for a password: "<extension>@<pbx origin>". */
export function accountName(settings: Pick<Settings, "pbx" | "extension">): string {
  return `${settings.extension}@${settings.pbx}`;
}

/** The keyring account name for the refresh token: "refresh-token:<extension>@<pbx origin>". */
export function refreshTokenAccount(settings: Pick<Settings, "pbx" | "extension">): string {
  return `refresh-token:${accountName(settings)}`;
}
