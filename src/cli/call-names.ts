// Names on call lines (`dial3cx watch`): the PBX names callers it knows; for the others the
// configured vCard directories are asked (reverse lookup). Loaded once per command, and only when
// vCard directories are configured.
import type { CallInfo } from "../features/calls/client.js";

export type CallNamer = (call: CallInfo) => CallInfo;

export async function callNamer(vcardDirs: readonly string[]): Promise<CallNamer> {
  if (vcardDirs.length === 0) return (call) => call;
  const { loadVCardDirs } = await import("../features/contacts/index.js");
  const { nameForNumber } = await import("../features/contacts/contact-names.js");
  const { contacts } = await loadVCardDirs(vcardDirs);
  return (call) => {
    if (call.name) return call;
    const name = nameForNumber(contacts, call.number);
    return name ? { ...call, name } : call;
  };
}
