// The messages between the extension's parts. Content scripts may send only `call` (a number a
// person clicked); everything else (hang up, devices, the token, the test) is accepted from the
// extension's own pages only. Web pages cannot send any: the manifest has no
// externally_connectable, and the content script acts on trusted clicks only.
import type { CallView, DeviceView, HistoryView, PlacedCall } from "./gateway.js";
import type { Settings } from "./settings.js";

export type Request =
  | { type: "call"; number: string; ref?: string }
  | { type: "hangup"; id: string }
  | { type: "overview" }
  | { type: "history" }
  | { type: "test"; gatewayUrl: string; token: string }
  | { type: "save"; settings: Settings; token: string };

/** Sent to a tab's content script as a clicked number's call goes on. */
export interface CallStateMessage {
  type: "call-state";
  ref: string;
  /** dialing, ringing, connected, ended, or "error" with `message`. */
  state: string;
  message?: string;
}

export type Reply<T = object> = ({ ok: true } & T) | { ok: false; message: string; kind?: string };

export type CallReply = Reply<{ call: PlacedCall; duplicate: boolean }>;
export type OverviewReply = Reply<{
  extension: string;
  name: string | null;
  devices: DeviceView[];
  calls: CallView[];
  device: string;
}>;
export type TestReply = Reply<{ text: string }>;
/** `calls` is null when the gateway has no call history. */
export type HistoryReply = Reply<{ calls: HistoryView[] | null }>;
