// Which caller ids may be called back. A caller id is what the PBX shows for the other party, and
// it is not always a number: `anonymous`, an empty string, a SIP URI (`sip:bob@example.com`), a
// trunk's text. Those are shown as they are and never offered for call back, so a click on
// "Call back" cannot dial something the caller did not send as their number. Feature codes
// (`*`, `#`) are refused too: a call back must never change the user's PBX settings.
import { type DialString, type DialStringOptions, parseDialString } from "./dialstring.js";

/** Digits with the separators people and PBXs write, and at most one leading "+". */
const PLAIN_NUMBER = /^\+?[0-9][0-9 ()./-]*$/;

/**
 * The number to dial to call `callerId` back, or undefined when the caller id is not a plain
 * phone number or extension. Never throws.
 */
export function callbackTarget(
  callerId: string | undefined,
  options: DialStringOptions = {},
): DialString | undefined {
  const text = (callerId ?? "").trim();
  if (!PLAIN_NUMBER.test(text)) return undefined;
  let parsed: DialString;
  try {
    parsed = parseDialString(text, options);
  } catch {
    return undefined;
  }
  return parsed.kind === "feature" ? undefined : parsed;
}

/** True when "Call back" may be offered for this caller id. */
export function isCallbackable(callerId: string | undefined): boolean {
  return callbackTarget(callerId) !== undefined;
}
