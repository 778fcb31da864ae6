// TLS trust for talking to a PBX: system CAs by default, a CA file, or a pinned SHA-256
// certificate fingerprint (for self-signed PBXs). `insecure` turns verification off, loudly.
// One TlsTrust feeds both the HTTP client and the websocket, so both verify the same way.
import { readFile } from "node:fs/promises";
import { type ConnectionOptions, connect, type PeerCertificate } from "node:tls";
import { ConfigError, TlsError } from "../errors.js";

export interface TlsOptions {
  /** Path of a PEM file with the CA (or the PBX's own certificate) to trust. */
  ca?: string;
  /** SHA-256 fingerprint of the PBX certificate, hex with or without colons. */
  fingerprint?: string;
  /** Skip verification entirely. Never the default; callers warn the user. */
  insecure?: boolean;
}

/** Node TLS options to use for every connection to the PBX. */
export interface TlsTrust {
  ca?: string;
  rejectUnauthorized: boolean;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** TLS session resumption hides the peer certificate from a fingerprint check. */
  maxCachedSessions?: number;
  description: string;
}

/**
 * The trust as node:tls connection options, with unset fields left out: tls.connect asserts
 * (ERR_INTERNAL_ASSERTION) on an explicit `checkServerIdentity: undefined`.
 */
export function tlsConnectOptions(trust: TlsTrust): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: trust.rejectUnauthorized };
  if (trust.ca !== undefined) options.ca = trust.ca;
  if (trust.checkServerIdentity) options.checkServerIdentity = trust.checkServerIdentity;
  return options;
}

export function normaliseFingerprint(text: string): string {
  const hex = text
    .replace(/^sha-?256[:=]?/i, "")
    .replace(/[\s:]/g, "")
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new ConfigError(
      `"${text.slice(0, 20)}…" is not a SHA-256 fingerprint: expected 64 hex digits, colons optional.`,
    );
  }
  return hex.match(/../g)!.join(":");
}

export async function resolveTlsTrust(url: URL, options: TlsOptions = {}): Promise<TlsTrust> {
  if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.insecure) {
    throw new ConfigError(
      `${url.origin} is plain http: your password would cross the network unencrypted. Use https:// (3CX serves it, by default on port 5001), or pass --insecure to accept the risk.`,
    );
  }
  if (options.insecure) {
    return { rejectUnauthorized: false, description: "verification OFF (--insecure)" };
  }
  if (options.fingerprint) return pinnedTrust(url, normaliseFingerprint(options.fingerprint));
  if (options.ca) {
    const ca = await readFile(options.ca, "utf8").catch((error: NodeJS.ErrnoException) => {
      const reason =
        (error.code ? READ_ERRORS[error.code] : undefined) ?? error.code ?? error.message;
      throw new ConfigError(`Cannot read the CA file ${options.ca}: ${reason}.`);
    });
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigError(
        `${options.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
      );
    }
    return { ca, rejectUnauthorized: true, description: `CA file ${options.ca}` };
  }
  return { rejectUnauthorized: true, description: "system CAs" };
}

/** Why a file could not be read, in words (the code alone means nothing to most users). */
const READ_ERRORS: Record<string, string> = {
  ENOENT: "it does not exist",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
};

/**
 * Pinning: fetch the PBX certificate once (sending nothing), check its fingerprint, then trust
 * exactly that certificate as the CA and re-check the fingerprint on every connection. Hostname
 * checks are skipped: the pin is stronger than a name match on a self-signed certificate.
 */
async function pinnedTrust(url: URL, fingerprint: string): Promise<TlsTrust> {
  if (url.protocol !== "https:") {
    throw new ConfigError("A certificate fingerprint was given, but the PBX URL is not https.");
  }
  const peer = await fetchPeerCertificate(url);
  if (peer.fingerprint256 !== fingerprint) throw fingerprintMismatch(fingerprint, peer);
  return {
    ca: toPem(peer.raw),
    rejectUnauthorized: true,
    maxCachedSessions: 0,
    checkServerIdentity: (_host, cert) =>
      cert.fingerprint256 === fingerprint ? undefined : fingerprintMismatch(fingerprint, cert),
    description: `pinned certificate ${fingerprint}`,
  };
}

function fingerprintMismatch(expected: string, cert: PeerCertificate): TlsError {
  return new TlsError(
    `The PBX certificate changed: its SHA-256 fingerprint is ${cert.fingerprint256}, not the pinned ${expected}. If the PBX really got a new certificate, run \`dial3cx login\` to pin it again.`,
  );
}

/** Reads the server's certificate without verifying it and without sending any request. */
export function fetchPeerCertificate(url: URL, timeoutMs = 5000): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 443),
      servername: isIp(url.hostname) ? undefined : url.hostname,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) reject(new TlsError(`${url.host} presented no certificate.`));
      else resolve(cert);
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new TlsError(`TLS handshake with ${url.host} timed out.`));
    });
    socket.once("error", (error) =>
      reject(
        new TlsError(`TLS connection to ${url.host} failed: ${error.message}`, { cause: error }),
      ),
    );
  });
}

function toPem(der: Buffer): string {
  const body = der
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** localhost, 127.0.0.0/8 or ::1: plain http there never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":") || host.startsWith("[");
}

const TLS_ERROR_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** A TlsError for a certificate failure, or undefined when `error` is not one. */
export function toTlsError(error: unknown, host: string): TlsError | undefined {
  const found = findCause(error, (e) => e instanceof TlsError || TLS_ERROR_CODES.has(codeOf(e)));
  if (!found) return undefined;
  if (found instanceof TlsError) return found;
  const code = codeOf(found);
  const what =
    code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? "does not match the host name"
      : code === "CERT_HAS_EXPIRED"
        ? "has expired"
        : code === "ERR_SSL_WRONG_VERSION_NUMBER"
          ? "is missing (the port does not speak TLS: try http://)"
          : "is not trusted (self-signed or unknown CA)";
  return new TlsError(
    `The certificate of ${host} ${what}. Run \`dial3cx login\` to see and pin its fingerprint, or pass --ca FILE.`,
    { cause: found },
  );
}

export function findCause(error: unknown, test: (e: unknown) => boolean): unknown {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (test(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function codeOf(error: unknown): string {
  return String((error as { code?: unknown })?.code ?? "");
}
