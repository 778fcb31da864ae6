// Test support for the gateway: a simulator plus a gateway on 127.0.0.1 port 0 with throw-away
// XDG directories, a plain HTTP helper that shows statuses and headers as they travel (TCP or
// the unix socket), and a Server-Sent Events reader. Used by the gateway's and `serve`'s tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, type Dispatcher, request } from "undici";
import { resolveSettings, type Settings } from "../features/settings/config.js";
import { readTokens, tokensFile } from "../features/settings/gateway-tokens.js";
import { type AppPaths, appPaths } from "../features/settings/paths.js";
import { memoryStore } from "../features/settings/secrets.js";
import {
  DEFAULT_DEMO_PASSWORD,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../sim/index.js";
import { type AccountSpec, accountFromSettings } from "./accounts.js";
import { type Gateway, type GatewayOptions, startGateway } from "./server.js";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are inspected freely
  json: any;
}

export interface HttpOptions {
  body?: unknown;
  /** Raw body; no content-type is added. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Bearer token; null sends none. Default: the token of `extension`. */
  token?: string | null;
  dispatcher?: Dispatcher;
}

export async function http(
  baseUrl: string,
  method: string,
  pathname: string,
  options: HttpOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await request(new URL(pathname, baseUrl), {
    method: method as Dispatcher.HttpMethod,
    headers,
    body,
    dispatcher: options.dispatcher,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

export interface SseMessage {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response frame by frame; `next` waits for a matching one. */
export class EventReader {
  readonly messages: SseMessage[] = [];
  private buffer = "";
  private cursor = 0;
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(private readonly body: NodeJS.ReadableStream & { destroy(): void }) {
    body.setEncoding("utf8");
    body.on("data", (chunk: string) => this.push(chunk));
    const end = () => {
      this.ended = true;
      this.wakeAll();
    };
    body.on("end", end);
    body.on("error", end);
    body.on("close", end);
  }

  static async open(
    baseUrl: string,
    token: string,
    options: { dispatcher?: Dispatcher; query?: string } = {},
  ): Promise<{ status: number; reader?: EventReader; headers: Answer["headers"] }> {
    const response = await request(new URL(`/v1/events${options.query ?? ""}`, baseUrl), {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: options.dispatcher,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { status: response.statusCode, headers: response.headers };
    }
    const reader = new EventReader(response.body);
    return { status: 200, reader, headers: response.headers };
  }

  get closed(): boolean {
    return this.ended;
  }

  async next(match: (m: SseMessage) => boolean, timeoutMs = 3000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.messages.length) {
        const message = this.messages[this.cursor++]!;
        if (match(message)) return message;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) {
        throw new Error(
          `no matching event within ${timeoutMs} ms: ${JSON.stringify(this.messages)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next event of `type`, its data parsed. */
  async nextEvent(type: string, timeoutMs?: number) {
    const message = await this.next((m) => m.event === type, timeoutMs);
    return JSON.parse(message.data ?? "null");
  }

  /** Resolves when the server ends the stream. */
  async untilClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("the event stream stayed open");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.body.destroy();
  }

  private push(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf("\n\n");
    while (end !== -1) {
      this.messages.push(parseFrame(this.buffer.slice(0, end)));
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf("\n\n");
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function parseFrame(frame: string): SseMessage {
  const message: SseMessage = {};
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) message.comment = (message.comment ?? "") + line.slice(1).trim();
    const [field, ...rest] = line.split(":");
    const value = rest.join(":").replace(/^ /, "");
    if (field === "event") message.event = value;
    if (field === "id") message.id = value;
    if (field === "data")
      message.data = message.data === undefined ? value : `${message.data}\n${value}`;
  }
  return message;
}

export interface SimCall {
  id: string;
  extension: string;
  destination: string;
  device: string | null;
  state: string;
}

export interface TestGateway {
  sim: Simulator;
  gateway: Gateway;
  root: string;
  env: NodeJS.ProcessEnv;
  paths: AppPaths;
  settings: Settings;
  /** Every log line the gateway wrote. */
  logs: string[];
  token(extension?: string): Promise<string>;
  /** A request to the gateway over TCP with the token of extension 100 unless told otherwise. */
  call(method: string, pathname: string, options?: HttpOptions): Promise<Answer>;
  simCalls(): Promise<SimCall[]>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  sim?: SimulatorOptions;
  gateway?: Partial<GatewayOptions>;
  /** The accounts to serve; default extension 100 from the settings. */
  accounts?: (settings: Settings, root: string) => AccountSpec[] | Promise<AccountSpec[]>;
  env?: NodeJS.ProcessEnv;
}

/** A temporary home with its own XDG directories; DIAL3CX_PASSWORD is extension 100's. */
export async function tempHome(extraEnv: NodeJS.ProcessEnv = {}) {
  const root = await mkdtemp(path.join(tmpdir(), "dial3cx-gw-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_STATE_HOME: path.join(root, "state"),
    XDG_RUNTIME_DIR: path.join(root, "run"),
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
    DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD,
    ...extraEnv,
  };
  return {
    root,
    env,
    paths: appPaths(env),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const sim = await startSimulator({ port: 0, answerAfterMs: 100, ...options.sim });
  const home = await tempHome(options.env);
  const settings = resolveSettings({
    env: home.env,
    flags: { pbx: sim.url, extension: "100" },
  });
  const logs: string[] = [];
  let gateway: Gateway;
  try {
    const accounts = options.accounts
      ? await options.accounts(settings, home.root)
      : [accountFromSettings(settings)];
    gateway = await startGateway({
      accounts,
      paths: home.paths,
      env: home.env,
      store: memoryStore(),
      listen: "127.0.0.1:0",
      logStream: { write: (line: string) => void logs.push(line) },
      ...options.gateway,
    });
  } catch (error) {
    await sim.stop();
    await home.remove();
    throw error;
  }
  const tokens = async () => readTokens(tokensFile(home.paths));
  const token = async (extension = "100") => (await tokens()).get(extension)!;
  return {
    sim,
    gateway,
    root: home.root,
    env: home.env,
    paths: home.paths,
    settings,
    logs,
    token,
    call: async (method, pathname, httpOptions = {}) =>
      http(gateway.url, method, pathname, {
        ...httpOptions,
        token: httpOptions.token === undefined ? await token() : httpOptions.token,
      }),
    simCalls: async () => (await http(sim.url, "GET", "/__sim/calls")).json as SimCall[],
    stop: async () => {
      await gateway.stop();
      await sim.stop();
      await home.remove();
    },
  };
}

/** An undici dispatcher that talks to a unix socket. */
export function unixDispatcher(socketPath: string): Agent {
  return new Agent({ connect: { socketPath } });
}
