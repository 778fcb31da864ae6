// The event hub with a client over a scripted driver: the five event types and their JSON,
// per-extension subscriptions, a throwing listener, detaching, and closing long-lived streams.
// (The simulator cannot register devices at run time, so device events are driven from here.)
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { Driver, DriverEvents } from "../drivers/driver.js";
import { Dial3cxClient } from "../features/calls/client.js";
import { EventHub, type GatewayEvent } from "./events.js";

function scriptedClient() {
  const driver = new EventEmitter<DriverEvents>() as unknown as Driver;
  return { driver, client: new Dial3cxClient(driver) };
}

const call = { id: "7", state: "dialing" as const, number: "004930123456", incoming: false };
const device = {
  id: "3",
  contact: "sip:100@10.0.0.5:5060",
  userAgent: "Yealink SIP-T54W 96.86.0.100",
  sourceAddress: "10.0.0.5:5060",
  expiresAt: new Date("2030-01-01T00:00:00Z"),
};

describe("EventHub", () => {
  it("turns call and device changes into the five gateway events", () => {
    const hub = new EventHub();
    const { driver, client } = scriptedClient();
    hub.attach("100", client);
    const seen: GatewayEvent[] = [];
    hub.subscribe((event) => seen.push(event));
    driver.emit("call", { type: "created", call });
    driver.emit("call", { type: "updated", call: { ...call, state: "connected", name: "Ada" } });
    driver.emit("call", { type: "ended", call: { ...call, state: "connected" } });
    driver.emit("device", { type: "registered", device });
    driver.emit("device", { type: "unregistered", device });
    expect(seen.map((e) => [e.id, e.type, e.extension])).toEqual([
      ["1", "call.created", "100"],
      ["2", "call.updated", "100"],
      ["3", "call.ended", "100"],
      ["4", "device.registered", "100"],
      ["5", "device.unregistered", "100"],
    ]);
    expect(seen[1]!.call).toEqual({ ...call, state: "connected", name: "Ada" });
    expect(seen[0]!.call!.name).toBeNull();
    // An ended call says so, whatever state the PBX last showed.
    expect(seen[2]!.call!.state).toBe("ended");
    expect(seen[3]!.device).toEqual({
      id: "3",
      name: "Yealink T54W",
      kind: "desk-phone",
      contact: "sip:100@10.0.0.5:5060",
      sourceAddress: "10.0.0.5:5060",
      userAgent: "Yealink SIP-T54W 96.86.0.100",
      expiresAt: "2030-01-01T00:00:00.000Z",
    });
    expect(Number.isNaN(Date.parse(seen[0]!.time))).toBe(false);
  });

  it("gives a subscriber of one extension only that extension's events", () => {
    const hub = new EventHub();
    const a = scriptedClient();
    const b = scriptedClient();
    hub.attach("100", a.client);
    hub.attach("101", b.client);
    const only101: string[] = [];
    const all: string[] = [];
    hub.subscribe((e) => only101.push(e.extension), "101");
    hub.subscribe((e) => all.push(e.extension));
    a.driver.emit("call", { type: "created", call });
    b.driver.emit("call", { type: "created", call });
    expect(only101).toEqual(["101"]);
    expect(all).toEqual(["100", "101"]);
  });

  it("keeps delivering when a listener throws, and stops after unsubscribe or detach", () => {
    const hub = new EventHub();
    const { driver, client } = scriptedClient();
    const detach = hub.attach("100", client);
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error("broken listener");
    });
    const unsubscribe = hub.subscribe((e) => seen.push(e.type));
    driver.emit("call", { type: "created", call });
    unsubscribe();
    driver.emit("call", { type: "updated", call });
    expect(seen).toEqual(["call.created"]);
    expect(hub.subscriberCount).toBe(1);
    detach();
    expect(driver.listenerCount("call")).toBe(1); // the client's own
    expect(client.listenerCount("call")).toBe(0);
  });

  it("closes every long-lived subscriber on closeAll", () => {
    const hub = new EventHub();
    const closed: string[] = [];
    hub.onClose(() => closed.push("a"));
    const unregister = hub.onClose(() => closed.push("b"));
    unregister();
    hub.closeAll();
    hub.closeAll();
    expect(closed).toEqual(["a"]);
  });
});
