// Handing a call to a running gateway (`dial3cx serve`): when its unix socket is in the runtime
// directory and answers, the CLI and the tel: handler POST /v1/calls over it with the token the
// gateway keeps for this extension, so a click costs the gateway's one MakeCall on its warm
// session instead of a session of our own. Anything that shows nothing was sent (no socket, no
// token, connection refused, a token the gateway does not know) says "not handled" and the caller
// uses its own session; an answer after the request went out is final, never retried elsewhere,
// since the call may have been placed. The token goes only to a socket that is ours, in a directory
// of ours that no one else can enter: another local user's socket at that path gets nothing.
//
// One round trip when it can: the gateway leaves a card next to its socket (its pid and the PBX of
// each extension it serves), so the PBX is checked without asking (GET /v1/status is asked only
// without a card), and POST /v1/calls goes with `Expect: 100-continue`: its body, the call, is
// sent only once the gateway says "continue". A hung gateway never does, and the click falls back
// with nothing sent.
//
// node:http rather than undici: this runs on every click, and node:http is already loaded.
import { lstat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { Dial3cxError, type ErrorCode, EXIT_CODES, OutcomeUnknownError } from "../../errors.js";
import { readTokens, tokensFile } from "../settings/gateway-tokens.js";
import type { AppPaths } from "../settings/paths.js";
import { readIfExists } from "../settings/secure-file.js";

/**
 * The gateway's socket file name (SOCKET_FILE_NAME in src/gateway/server.ts, checked equal by a
 * test). Not imported from there: that module loads the gateway's whole HTTP stack.
 */
export const GATEWAY_SOCKET_FILE = "gateway.sock";

/** How long the gateway may take: it waits up to 3 s for the PBX to show the call. */
const ANSWER_TIMEOUT_MS = 20_000;
/**
 * A live gateway accepts at once and answers GET /v1/status without asking the PBX; an unreachable
 * or hung one must not hold a click up: before the call request goes out, the caller falls back to
 * a session of its own after this long. (Once POST /v1/calls is sent there is no falling back: the
 * call may have been placed.)
 */
export const HANDOFF_FALLBACK_MS = 150;

/** DIAL3CX_GATEWAY_WAIT_MS: a longer wait than HANDOFF_FALLBACK_MS, for a slow or loaded machine. */
function fallbackMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.DIAL3CX_GATEWAY_WAIT_MS);
  return Number.isInteger(ms) && ms > 0 ? ms : HANDOFF_FALLBACK_MS;
}

export interface GatewayCallRequest {
  /** As the user gave it: the gateway parses it with its own settings. */
  to: string;
  device?: string;
}

/** POST /v1/calls's answer (PlacedCall in the gateway's OpenAPI document). */
export interface GatewayPlacedCall {
  id: string | null;
  to: string;
  toE164: string | null;
  display: string;
  device: string;
  deviceId: string;
  extension: string;
  state: string;
  /** The gateway saw the same number within its dedupe window and answered with that call. */
  duplicate: boolean;
}

export type HandoffResult =
  | { handled: true; call: GatewayPlacedCall; socketPath: string }
  | { handled: false; reason: string };

export interface HandoffOptions {
  paths: Pick<AppPaths, "runtimeDir" | "configDir">;
  /** The extension whose token to use; without it, the only token in the file. */
  extension?: string;
  /**
   * The PBX the caller means (its settings may come from --pbx): a gateway serving another PBX
   * is not used. Checked with GET /v1/status, which costs the gateway no PBX request.
   */
  pbx?: string;
  request: GatewayCallRequest;
  timeoutMs?: number;
  /** How long an unreachable or hung gateway may hold the call up; see HANDOFF_FALLBACK_MS. */
  fallbackMs?: number;
}

/** What a running gateway says about itself next to its socket (written by dial3cx serve). */
export interface GatewayCard {
  pid: number;
  /** The PBX URL each extension is served on. */
  pbx: Record<string, string>;
}

/** The card of the gateway listening on `socketPath`: `<socket>.json`, 0600 in its 0700 directory. */
export function gatewayCardPath(socketPath: string): string {
  return `${socketPath}.json`;
}

export function gatewaySocketPath(paths: Pick<AppPaths, "runtimeDir">): string | undefined {
  return paths.runtimeDir === undefined
    ? undefined
    : path.join(paths.runtimeDir, GATEWAY_SOCKET_FILE);
}

/** Places the call through the gateway, or says why it was not handed over. */
export async function handOffCall(options: HandoffOptions): Promise<HandoffResult> {
  const socketPath = gatewaySocketPath(options.paths);
  if (socketPath === undefined) return { handled: false, reason: "no XDG_RUNTIME_DIR" };
  const waitMs = options.fallbackMs ?? fallbackMs(process.env);
  const [untrusted, card] = await Promise.all([
    untrustedSocket(socketPath),
    readGatewayCard(socketPath),
  ]);
  if (untrusted !== undefined) return { handled: false, reason: untrusted };
  let tokens: Map<string, string>;
  try {
    tokens = await readTokens(tokensFile(options.paths));
  } catch (error) {
    return { handled: false, reason: `gateway tokens unreadable: ${(error as Error).message}` };
  }
  const extension = options.extension ?? (tokens.size === 1 ? [...tokens.keys()][0] : undefined);
  const token = extension === undefined ? undefined : tokens.get(extension);
  if (extension === undefined || token === undefined) {
    return { handled: false, reason: "no gateway token for this extension" };
  }
  if (options.pbx !== undefined) {
    // The card (a live gateway's own word) saves asking; without one, GET /v1/status.
    const serving = card?.pbx[extension] ?? (await servedPbx(socketPath, token, waitMs));
    if (typeof serving !== "string") return serving;
    if (originOf(serving) !== originOf(options.pbx)) {
      return { handled: false, reason: "the gateway serves another PBX" };
    }
  }
  const body = JSON.stringify({
    to: options.request.to,
    ...(options.request.device === undefined ? {} : { device: options.request.device }),
  });
  const answer = await requestOverSocket(socketPath, "POST", "/v1/calls", token, {
    body,
    timeoutMs: options.timeoutMs,
    connectMs: waitMs,
  });
  if (answer.kind === "unreachable") return { handled: false, reason: answer.reason };
  if (answer.status === 200 || answer.status === 201) {
    const call = parsePlacedCall(answer.text);
    if (call) return { handled: true, call, socketPath };
    throw new Dial3cxError(
      "protocol",
      "The gateway answered the call request with something unreadable.",
    );
  }
  const problem = parseError(answer.text);
  // Refused before anything was dialled: the token is not (or no longer) the gateway's.
  if (answer.status === 401 || answer.status === 403 || answer.status === 404) {
    return { handled: false, reason: `gateway refused: ${problem?.code ?? answer.status}` };
  }
  throw gatewayError(answer.status, problem);
}

/**
 * Why the socket must not be given the token, or undefined when it may: it and its directory must
 * belong to this user and the directory be closed to group and others, else another local user
 * could have put a socket there to collect the token.
 */
async function untrustedSocket(file: string): Promise<string | undefined> {
  // Whatever keeps us from seeing it (missing, a file in the path, no permission): no gateway.
  const seen = (target: string) => lstat(target).catch(() => undefined);
  const [socket, dir] = await Promise.all([seen(file), seen(path.dirname(file))]);
  if (!socket?.isSocket() || !dir) return "no gateway socket";
  const uid = process.getuid?.();
  if (uid === undefined) return "cannot check who owns the gateway socket";
  if (socket.uid !== uid || dir.uid !== uid) return "the gateway socket is not this user's";
  // lstat: a symlinked directory shows mode 0777 and is refused here too.
  if ((dir.mode & 0o077) !== 0) return "the gateway socket's directory is open to other users";
  return undefined;
}

/**
 * The card of a gateway that is running, or undefined: none (an older gateway, or none at all),
 * unreadable, or left by a process that is gone. Its directory is checked like the socket's.
 */
async function readGatewayCard(socketPath: string): Promise<GatewayCard | undefined> {
  const text = await readIfExists(gatewayCardPath(socketPath)).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const card = JSON.parse(text) as Partial<GatewayCard>;
    const pbx = card.pbx;
    if (!Number.isInteger(card.pid) || typeof pbx !== "object" || pbx === null) return undefined;
    if (!Object.values(pbx).every((url) => typeof url === "string")) return undefined;
    // Signal 0 only asks whether the process exists (ESRCH: gone; EPERM: not ours).
    process.kill(card.pid!, 0);
    return { pid: card.pid!, pbx };
  } catch {
    return undefined;
  }
}

type SocketAnswer =
  | { kind: "answer"; status: number; text: string }
  | { kind: "unreachable"; reason: string };

/** The PBX the gateway serves for the token's extension (GET /v1/status), or why not known. */
async function servedPbx(
  socketPath: string,
  token: string,
  waitMs: number,
): Promise<string | { handled: false; reason: string }> {
  const answer = await requestOverSocket(socketPath, "GET", "/v1/status", token, {
    timeoutMs: waitMs,
    connectMs: waitMs,
  }).catch((error: Error) => ({ kind: "unreachable" as const, reason: error.message }));
  if (answer.kind === "unreachable") return { handled: false, reason: answer.reason };
  if (answer.status !== 200) {
    const code = parseError(answer.text)?.code ?? answer.status;
    return { handled: false, reason: `gateway refused: ${code}` };
  }
  try {
    const { pbx } = JSON.parse(answer.text) as { pbx?: unknown };
    if (typeof pbx === "string") return pbx;
  } catch {
    // Reported below.
  }
  return { handled: false, reason: "gateway status unreadable" };
}

function originOf(pbx: string): string {
  try {
    return new URL(pbx).origin;
  } catch {
    return pbx;
  }
}

function requestOverSocket(
  socketPath: string,
  method: "GET" | "POST",
  pathname: string,
  token: string,
  {
    body,
    timeoutMs = ANSWER_TIMEOUT_MS,
    connectMs,
  }: { body?: string; timeoutMs?: number; connectMs: number },
): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    // "connected": the gateway is there to take the request. With a body, that is its
    // "100 Continue" (nothing is sent before it that the gateway could act on); without, the
    // connection itself.
    let connected = false;
    const request = httpRequest({
      socketPath,
      method,
      path: pathname,
      headers: {
        host: "localhost",
        authorization: `Bearer ${token}`,
        ...(body === undefined
          ? {}
          : {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              expect: "100-continue",
            }),
      },
    });
    // Cleared on every outcome and unref'd: a timer left running kept the process alive for a
    // second after the answer (a kept-alive socket never fires "connect", so nothing cleared it).
    const connectTimer = setTimeout(() => {
      if (!connected) request.destroy(new Error("connect timeout"));
    }, connectMs);
    connectTimer.unref();
    const isConnected = () => {
      connected = true;
      clearTimeout(connectTimer);
    };
    request.setTimeout(timeoutMs, () => request.destroy(new Error("timeout")));
    if (body === undefined) {
      request.on("socket", (socket) => {
        // A pooled socket is connected already and fires no "connect".
        if (socket.connecting) socket.once("connect", isConnected);
        else isConnected();
      });
    } else {
      request.once("continue", () => {
        isConnected();
        request.end(body);
      });
    }
    request.on("response", (response) => {
      clearTimeout(connectTimer);
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        // Answered before "continue": the call was never sent; the request ends here.
        if (!connected) request.destroy();
        resolve({ kind: "answer", status: response.statusCode ?? 0, text });
      });
      response.on("error", (error) => reject(lostAnswer(error)));
    });
    request.on("error", (error) => {
      clearTimeout(connectTimer);
      // A GET asks for nothing to be done: whatever became of it, the caller may go elsewhere.
      if (!connected || method === "GET") {
        resolve({
          kind: "unreachable",
          reason: `gateway socket does not answer (${describe(error)})`,
        });
      } else {
        reject(lostAnswer(error));
      }
    });
    if (body === undefined) request.end();
    else request.flushHeaders();
  });
}

/** Sent, but no answer: the gateway may have placed the call (never handed to a session). */
function lostAnswer(error: Error): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `The gateway took the call request but gave no answer (${describe(error)})`,
    { cause: error },
  );
}

function describe(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

function parsePlacedCall(text: string): GatewayPlacedCall | undefined {
  try {
    const value = JSON.parse(text) as Partial<GatewayPlacedCall>;
    if (typeof value.display !== "string" || typeof value.device !== "string") return undefined;
    return {
      id: typeof value.id === "string" ? value.id : null,
      to: String(value.to ?? ""),
      toE164: typeof value.toE164 === "string" ? value.toE164 : null,
      display: value.display,
      device: value.device,
      deviceId: String(value.deviceId ?? ""),
      extension: String(value.extension ?? ""),
      state: String(value.state ?? "dialing"),
      duplicate: value.duplicate === true,
    };
  } catch {
    return undefined;
  }
}

function parseError(text: string): { code: string; message: string } | undefined {
  try {
    const value = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = value.error ?? {};
    return typeof code === "string" && typeof message === "string" ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}

/** The gateway's error as the CLI's own: same codes, so the same exit codes. */
function gatewayError(status: number, problem: { code: string; message: string } | undefined) {
  if (!problem)
    return new Dial3cxError("protocol", `The gateway answered ${status} to the call request.`);
  const known = problem.code in EXIT_CODES;
  // rate_limited, payload_too_large…: the gateway refused this call.
  const code: ErrorCode = known ? (problem.code as ErrorCode) : "rejected";
  return new Dial3cxError(code, `Gateway: ${problem.message}`);
}
