import { describe, expect, it } from "vitest";
import { callLine } from "./cli/format.js";
import { describeCallee } from "./features/calls/callee.js";
import { singleLine } from "./features/contacts/model.js";
import { notifySendArgs } from "./features/desktop/notify.js";
import { displayText } from "./features/display-text.js";
import { callView } from "./gateway/events.js";

const RLO = "\u202e";
const evil = `Ada ${RLO}654321 03 94+\u202c\u2066x\u2069\u200e\u200f\u202a\u202b\u202d`;

describe("displayText", () => {
  it("removes bidi controls and other format characters, keeps one line", () => {
    expect(displayText(evil)).toBe("Ada 654321 03 94+x");
    expect(displayText("Zoë\u200b Müller\u00ad")).toBe("Zoë Müller");
    expect(displayText("two\nlines\u2028here\u0007")).toBe("two lines here");
    expect(displayText("  Ada Lovelace  ")).toBe("Ada Lovelace");
  });

  it("is used before display by the CLI, notifications, the gateway and contact sources", () => {
    const call = {
      id: "1",
      state: "ringing" as const,
      number: `+49${RLO}30`,
      name: evil,
      incoming: true,
    };
    for (const shown of [
      describeCallee("+49 30 123456", evil),
      callLine(call),
      ...notifySendArgs({ summary: `Calling ${evil}`, body: evil }),
      JSON.stringify(callView(call)),
      singleLine(evil),
    ]) {
      expect(shown).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/);
    }
  });
});
