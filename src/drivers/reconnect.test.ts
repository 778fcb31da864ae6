import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { AuthError, NetworkError, ProtocolError } from "../errors.js";
import type { DriverEvents } from "./driver.js";
import { isFatal, noRetry, Reconnector } from "./reconnect.js";

describe("Reconnector", () => {
  it("keeps trying after network failures, with the first attempt at once", async () => {
    const events = new EventEmitter<DriverEvents>();
    let calls = 0;
    const reconnector = new Reconnector(async () => {
      calls++;
      if (calls < 3) throw new NetworkError("down");
    }, events);
    reconnector.schedule();
    await vi.waitFor(() => expect(calls).toBe(3), { timeout: 3000 });
    reconnector.stop();
  });

  it("stops after one attempt that failed a login, whatever the error class", async () => {
    const events = new EventEmitter<DriverEvents>();
    const seen: string[] = [];
    events.on("problem", (error) => seen.push(`problem ${error.name}`));
    events.on("connection", (state) => seen.push(state));
    let calls = 0;
    const reconnector = new Reconnector(async () => {
      calls++;
      throw noRetry(new ProtocolError("The PBX answered the login with HTTP 200 and no token."));
    }, events);
    reconnector.schedule();
    await vi.waitFor(() => expect(seen).toEqual(["problem ProtocolError", "closed"]));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls).toBe(1);
  });

  it("treats credential, TLS and refusal codes as fatal, network trouble as not", () => {
    expect(isFatal(new AuthError("no"))).toBe(true);
    expect(isFatal(new NetworkError("down"))).toBe(false);
    expect(isFatal(noRetry(new NetworkError("down")))).toBe(true);
  });
});
