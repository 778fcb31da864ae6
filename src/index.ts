// The dial3cx library: connect to a 3CX PBX, list devices, place and follow calls, see incoming
// calls and read the call history.

export type { CallState, ExtensionInfo } from "./drivers/driver.js";
export type { TlsOptions } from "./drivers/tls.js";
export type { PbxVersion } from "./drivers/webclient/login.js";
export * from "./errors.js";
export {
  Call,
  type CallEvent,
  type CallHistoryEntry,
  type CallHistoryOptions,
  type CallInfo,
  type CallJournal,
  type ClientEvents,
  type ConnectOptions,
  connect,
  Dial3cxClient,
  type IncomingPhase,
  type MakeCallOptions,
} from "./features/calls/client.js";
export {
  type DeviceKind,
  type DeviceRegistration,
  friendlyDeviceName,
  selectDevice,
} from "./features/calls/devices.js";
export {
  type DialString,
  type DialStringOptions,
  parseDialString,
} from "./features/calls/dialstring.js";
export { FileCallJournal, type JournalEntry } from "./features/calls/history.js";
export { VERSION } from "./version.js";
