// How a dialled party is shown and told apart from a name, without loading any contact source:
// these run on every call, the vCard and phone-book code only when a name is involved.
import { displayText } from "../display-text.js";

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Plain text that names someone rather than a number or URI: a letter and no URI scheme.
 * `tel:+1-800-FLOWERS` stays a number (and is refused as one); `1-800-FLOWERS` is looked up as a
 * name and, found nowhere, gets the number's error. Text starting with "+" or holding a ";"
 * (`+49 30 12;rm -rf`) is a mistyped number, never a name: it gets the number's error at once.
 */
export function isNameQuery(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith("+") || trimmed.includes(";")) return false;
  return !SCHEME.test(trimmed) && /\p{L}/u.test(trimmed);
}

/** "Ada Lovelace (+49 30 123456)", or the number alone when the name is unknown. */
export function describeCallee(display: string, name: string | undefined): string {
  const shown = name === undefined ? "" : displayText(name);
  return shown ? `${shown} (${display})` : display;
}
