// The dial3cx library: connect to a 3CX PBX, list devices, place and follow calls.

export type { CallState, ExtensionInfo } from "./drivers/driver.js";
export type { TlsOptions } from "./drivers/tls.js";
export type { PbxVersion } from "./drivers/webclient/login.js";
export * from "./errors.js";
export {
  Call,
  type CallInfo,
  type ClientEvents,
  type ConnectOptions,
  connect,
  Dial3cxClient,
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
export { VERSION } from "./version.js";
