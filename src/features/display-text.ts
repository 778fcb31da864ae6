// Text from outside (vCard names, PBX phone book, caller ids, device names) made safe to show:
// bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F) and every other format
// character (Unicode category Cf) are removed, so a name cannot reverse how the number next to
// it reads; control characters and line or paragraph separators become spaces, so it stays one
// line. The one function every front end uses before display: CLI, notifications, gateway, page.
// No imports: the dialer page bundles it too.

const FORMAT = /\p{Cf}/gu;
const BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

export function displayText(text: string): string {
  return text.replace(FORMAT, "").replace(BREAKING, " ").trim();
}

/** displayText for an optional value. */
export function displayTextOf<T extends string | null | undefined>(text: T): T {
  return (typeof text === "string" ? displayText(text) : text) as T;
}
