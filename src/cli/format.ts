// Human output shared by the commands: call progress lines, durations, the device label.
import pc from "picocolors";
import type { CallInfo } from "../features/calls/client.js";
import { displayText } from "../features/display-text.js";

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}

const STATE_TEXT: Record<CallInfo["state"], string> = {
  dialing: "ringing your phone",
  ringing: "ringing",
  connected: "connected",
  transferring: "transferring",
  ended: "ended",
};

export function stateText(state: CallInfo["state"]): string {
  return STATE_TEXT[state];
}

export function callLine(call: CallInfo, color = false): string {
  // Padded before colouring: the width must not count colour codes, which NO_COLOR leaves out.
  const state = color ? colorState(call.state) : call.state.padEnd(12);
  const number = displayText(call.number);
  const name = call.name ? displayText(call.name) : "";
  const who = name ? `${name} (${number})` : number;
  const direction = call.incoming ? "from" : "to";
  return `#${call.id}  ${state} ${direction} ${who}`;
}

function colorState(state: CallInfo["state"]): string {
  const padded = state.padEnd(12);
  if (state === "connected") return pc.green(padded);
  if (state === "ended") return pc.dim(padded);
  return pc.yellow(padded);
}
