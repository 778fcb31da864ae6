// Diagnostic probes under both drivers, for `dial3cx doctor`: a plain TCP connect and a fully
// verified TLS handshake, neither of which sends a byte of HTTP. Also the problem tags the
// diagnostics put on their failures, so that the doctor can name a fix without parsing messages.
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { NetworkError, TlsError } from "../errors.js";
import { type TlsTrust, tlsConnectOptions, toTlsError } from "./tls.js";

/** What a diagnostic step found wrong, where the error alone does not tell. */
export type ProbeProblem =
  /** TCP: no answer within the time-out. */
  | "no_answer"
  /** TCP: refused, unknown host, no route. */
  | "unreachable"
  /** HTTP 5xx to a request that should work: the PBX is up but failing. */
  | "pbx_failing"
  /** Neither the V20 nor the V18 web-client login exists: not a 3CX web-client address. */
  | "not_3cx"
  /** 401/403 on a MyPhone session right after the login. */
  | "session_refused"
  /** NOT AUTH on the event channel for a session the PBX had just opened. */
  | "channel_refused"
  /** The event channel closed before the full MyInfo arrived. */
  | "channel_closed";

const problems = new WeakMap<Error, ProbeProblem>();

export function tagProblem<E extends Error>(error: E, problem: ProbeProblem): E {
  problems.set(error, problem);
  return error;
}

/** The problem a diagnostic tagged this error with; undefined for any other error. */
export function probeProblem(error: unknown): ProbeProblem | undefined {
  return error instanceof Error ? problems.get(error) : undefined;
}

/** The PBX's host (an IPv6 address without brackets) and port, the scheme's default if unset. */
export function hostAndPort(base: URL): { host: string; port: number } {
  const port = Number(base.port || (base.protocol === "https:" ? 443 : 80));
  return { host: base.hostname.replace(/^\[|\]$/g, ""), port };
}

const TCP_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens on that port (is the port right?)",
  ENOTFOUND: "host not found: check the host name",
  EAI_AGAIN: "host name lookup failed: check your DNS or network",
  EHOSTUNREACH: "host unreachable: check your network or VPN",
  ENETUNREACH: "network unreachable: check your network or VPN",
  ECONNRESET: "connection reset",
};

export interface TcpProbe {
  host: string;
  port: number;
  /** Time to connect, rounded to whole milliseconds. */
  ms: number;
}

/** Opens a TCP connection and closes it at once. Fails with a NetworkError tagged no_answer or unreachable. */
export function probeTcp(base: URL, timeoutMs: number): Promise<TcpProbe> {
  const { host, port } = hostAndPort(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ host, port, ms: Math.round(performance.now() - started) });
    });
    socket.once("timeout", () => {
      socket.destroy();
      const error = new NetworkError(`${host}:${port} did not answer within ${timeoutMs} ms.`);
      reject(tagProblem(error, "no_answer"));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      const reason = TCP_REASONS[error.code ?? ""] ?? error.message;
      const failed = new NetworkError(`Cannot connect to ${host}:${port}: ${reason}.`, {
        cause: error,
      });
      reject(tagProblem(failed, "unreachable"));
    });
  });
}

/**
 * A TLS handshake with full verification (chain and host name) under `trust`, sending nothing.
 * A certificate failure becomes a TlsError; other socket errors are passed on as they are.
 */
export function verifyTlsChain(base: URL, trust: TlsTrust, timeoutMs: number): Promise<void> {
  const { host, port } = hostAndPort(base);
  const isName = !/^[\d.]+$/.test(host) && !host.includes(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port,
      ...(isName ? { servername: host } : {}),
      ...tlsConnectOptions(trust),
      timeout: timeoutMs,
    });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new TlsError(`TLS handshake with ${host}:${port} timed out.`));
    });
    socket.once("error", (error) => reject(toTlsError(error, base.host) ?? error));
  });
}
