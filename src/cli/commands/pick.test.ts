import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Contact } from "../../features/contacts/index.js";
import { pickBuiltin } from "./pick.js";

function contact(name: string, value: string): Contact {
  return { id: name, name, numbers: [{ type: "work", value }], emails: [], source: "pbx" };
}

const contacts = [
  contact("Ada Lovelace", "+49 30 123456"),
  contact("Jürgen Müller", "089 1234567"),
  contact("Grace Hopper", "+1 212 555 0147"),
];

/** Runs the built-in prompt on fake terminal streams, typing `keys` once it shows. */
async function typeInto(keys: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = "";
  output.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
  });
  const picked = pickBuiltin(contacts, {
    stdin: input as unknown as NodeJS.ReadableStream & { isTTY?: boolean },
    stdout: output as unknown as NodeJS.WritableStream & { isTTY?: boolean },
  });
  for (const key of keys) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    input.write(key);
  }
  return { picked: await picked, screen: () => screen };
}

describe("the built-in picker", () => {
  it("searches as you type, diacritics folded, and picks with Enter", async () => {
    const { picked, screen } = await typeInto(["m", "u", "l", "\r"]);
    expect(picked).toMatchObject({ match: { contact: { name: "Jürgen Müller" } } });
    expect(screen()).toContain("Call");
  });

  it("Ctrl-C picks nothing", async () => {
    const { picked } = await typeInto(["a", "\u0003"]);
    expect(picked).toBeUndefined();
  });
});
