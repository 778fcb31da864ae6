// The gateway's secrets: one API token per served extension, generated on first start into
// `$XDG_CONFIG_HOME/dial3cx/gateway-tokens` ("extension=token" lines, mode 0600), and the webhook
// signing secret in `gateway-webhook-secret` next to it. Presented tokens are checked in constant
// time: SHA-256 digests compared with crypto.timingSafeEqual against every known token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../errors.js";
import type { AppPaths } from "./paths.js";
import { isErrnoCode, readIfExists, writeSecureFile } from "./secure-file.js";

export const TOKENS_FILE_NAME = "gateway-tokens";
export const WEBHOOK_SECRET_FILE_NAME = "gateway-webhook-secret";

/** A prefix makes leaked tokens easy to spot for secret scanners and people. */
const TOKEN_PREFIX = "d3x_";
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{20,200}$/;
const FILE_HEADER =
  "# dial3cx gateway API tokens, one per extension: extension=token. Keep this file private (0600).\n";

export function tokensFile(paths: Pick<AppPaths, "configDir">): string {
  return path.join(paths.configDir, TOKENS_FILE_NAME);
}

export function webhookSecretFile(paths: Pick<AppPaths, "configDir">): string {
  return path.join(paths.configDir, WEBHOOK_SECRET_FILE_NAME);
}

/** 256 random bits, URL-safe: "d3x_" + 43 base64url characters. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The tokens in `file` by extension; a missing file is empty. Values are never echoed in errors. */
export async function readTokens(file: string): Promise<Map<string, string>> {
  const text = await readPrivateFile(file);
  const tokens = new Map<string, string>();
  if (text === undefined) return tokens;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(\d+)\s*=\s*(\S+)$/.exec(line);
    if (!match || !TOKEN_SHAPE.test(match[2]!)) {
      throw new ConfigError(
        `${file}: line ${index + 1} is not "extension=token" (a token is 20 or more characters without spaces): fix or delete the line`,
      );
    }
    tokens.set(match[1]!, match[2]!);
  });
  return tokens;
}

/**
 * The tokens of `extensions`, generating the missing ones and saving them (0600). Tokens of
 * extensions that are not served this time stay in the file untouched.
 */
export async function ensureTokens(
  file: string,
  extensions: readonly string[],
): Promise<Map<string, string>> {
  const tokens = await readTokens(file);
  const missing = extensions.filter((extension) => !tokens.has(extension));
  if (missing.length > 0) {
    for (const extension of missing) tokens.set(extension, generateToken());
    const lines = [...tokens].map(([extension, token]) => `${extension}=${token}\n`);
    await writeSecureFile(file, FILE_HEADER + lines.join(""));
  }
  return new Map(extensions.map((extension) => [extension, tokens.get(extension)!]));
}

/** The webhook signing secret, generated (0600) on first use. */
export async function ensureWebhookSecret(file: string): Promise<string> {
  const existing = (await readPrivateFile(file))?.trim();
  if (existing) return existing;
  const secret = randomBytes(32).toString("hex");
  await writeSecureFile(file, `${secret}\n`);
  return secret;
}

/** Maps a presented bearer token to the one extension it may act for. */
export class TokenRegistry {
  private readonly digests: { extension: string; digest: Buffer }[];

  constructor(tokens: ReadonlyMap<string, string>) {
    this.digests = [...tokens].map(([extension, token]) => ({ extension, digest: sha256(token) }));
  }

  /**
   * The token's extension, or undefined. Every known token is compared, match or not, so the time
   * taken says nothing about which token (or how much of one) was right.
   */
  authenticate(presented: string): string | undefined {
    const digest = sha256(presented);
    let found: string | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.extension;
    }
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** A secrets file that others can read is refused, like ssh refuses such a key. */
async function readPrivateFile(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
      throw new ConfigError(
        `${file} is readable by other users (mode ${mode}): run chmod 600 ${file}, and replace its secrets if others may have read them`,
      );
    }
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return undefined;
    throw error;
  }
  return readIfExists(file);
}
