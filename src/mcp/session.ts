// The MCP server's own PBX session: opened on the first tool that needs it (with events, so calls
// can be listed and hung up), kept warm while the assistant's host runs us, and put away (saved
// for the next warm start, closed) when the host goes. Reconnecting a dropped event stream and
// logging in again are the client's job; when the client gives up for good ("closed"), the next
// tool opens a new session. A login the PBX refused is never tried again: every later tool gets
// the same error until the server is restarted (3CX locks an address out after a few failures).
import { Dial3cxError } from "../errors.js";
import { type AccountOptions, openAccount, rememberSession } from "../features/calls/account.js";
import type { ConnectionState, Dial3cxClient } from "../features/calls/client.js";

/** Error codes that another login attempt would only repeat (or make worse). */
const FINAL_CODES = new Set(["auth", "blocked", "two_factor_required", "not_logged_in", "tls"]);

export type SessionLog = (line: string) => void;

export class McpSession {
  private opening: Promise<Dial3cxClient> | undefined;
  private refused: Dial3cxError | undefined;
  private closed = false;

  constructor(
    private readonly options: AccountOptions,
    private readonly log: SessionLog = () => {},
    /** How to open a session (tests replace it). */
    private readonly open: (options: AccountOptions) => Promise<Dial3cxClient> = openAccount,
  ) {}

  /** The session, opened on first use. Throws the open's error (a Dial3cxError, mostly). */
  client(): Promise<Dial3cxClient> {
    if (this.refused) return Promise.reject(this.refused);
    if (this.closed) return Promise.reject(new Error("the MCP server is shutting down"));
    this.opening ??= this.start();
    return this.opening;
  }

  /** The event stream's state, or "none" when no session is open. */
  connection: ConnectionState | "none" = "none";

  private async start(): Promise<Dial3cxClient> {
    let client: Dial3cxClient;
    try {
      client = await this.open(this.options);
    } catch (error) {
      this.opening = undefined;
      if (error instanceof Dial3cxError && FINAL_CODES.has(error.code)) this.refused = error;
      throw error;
    }
    this.connection = "open";
    const opened = this.opening;
    client.on("connection", (state) => {
      this.connection = state;
      this.log(`connection ${state}`);
      // The client gave up: forget it, so that the next tool opens a new session.
      if (state === "closed" && this.opening === opened) {
        this.opening = undefined;
        this.connection = "none";
        client.close().catch(() => undefined);
      }
    });
    client.on("problem", (error) => {
      this.log(`problem: ${error.message}`);
      if (error instanceof Dial3cxError && FINAL_CODES.has(error.code)) this.refused = error;
    });
    return client;
  }

  /** Saves the session for the next warm start and closes it. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    if (!opening) return;
    const client = await opening.catch(() => undefined);
    if (!client) return;
    try {
      await rememberSession(client, this.options);
    } catch (error) {
      this.log(`could not save the session: ${(error as Error).message}`);
    } finally {
      await client.close();
    }
  }
}
