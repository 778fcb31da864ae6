// AppleScript string literals, for notifications, dialogs and the macOS handler applet. Apart
// from handler/macos.ts so that a click's notification does not load the handler code (and zod,
// through its state file).

/** An AppleScript string literal. */
export function appleScriptString(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&")}"`;
}
