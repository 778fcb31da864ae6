// Fans the clients' call and device changes out to the gateway's listeners (SSE streams, webhooks)
// as `call.created`, `call.updated`, `call.ended`, `device.registered`, `device.unregistered`,
// and, for incoming calls, `call.ringing`, `call.answered` and `call.missed` with the caller
// (`from` as the PBX shows it, `fromE164` when it is a number, `name` from the vCards, the PBX
// phone book or the PBX). Owns the JSON shape of a call and a device that the API and the events
// share.
import { callbackTarget } from "../features/calls/callback.js";
import type { CallEvent, CallInfo, Dial3cxClient } from "../features/calls/client.js";
import { type DeviceRegistration, type DeviceView, deviceView } from "../features/calls/devices.js";
import type { DialStringOptions } from "../features/calls/dialstring.js";
import type { CallerNameResolver } from "../features/contacts/caller-name.js";
import { displayText } from "../features/display-text.js";

export const EVENT_TYPES = [
  "call.created",
  "call.updated",
  "call.ended",
  "device.registered",
  "device.unregistered",
  "call.ringing",
  "call.answered",
  "call.missed",
] as const;

export type GatewayEventType = (typeof EVENT_TYPES)[number];

export interface CallView {
  id: string;
  state: CallInfo["state"];
  /** The other party's number as the PBX shows it. */
  number: string;
  name: string | null;
  incoming: boolean;
}

export interface GatewayEvent {
  /** Increases by one per event in this gateway process (the SSE `id:`). */
  id: string;
  type: GatewayEventType;
  /** ISO 8601. */
  time: string;
  /** The extension the event belongs to. */
  extension: string;
  call?: CallView;
  device?: DeviceView;
  /** call.ringing, call.answered, call.missed: the caller id exactly as the PBX shows it. */
  from?: string;
  /** The caller's number in E.164, or null when the caller id is not a number (`anonymous`…). */
  fromE164?: string | null;
  /** The caller's name (vCards, then the PBX phone book, then the PBX), or null. */
  name?: string | null;
}

/** How incoming calls' callers are named and read, per attached client. */
export interface CallerOptions {
  names?: CallerNameResolver;
  dial?: DialStringOptions;
}

export function callView(call: CallInfo): CallView {
  return {
    id: call.id,
    state: call.state,
    number: displayText(call.number),
    name: call.name ? displayText(call.name) : null,
    incoming: call.incoming,
  };
}

type Listener = (event: GatewayEvent) => void;

interface Subscription {
  listener: Listener;
  /** Only this extension's events; undefined: every extension's (webhooks). */
  extension: string | undefined;
}

export class EventHub {
  private readonly subscriptions = new Set<Subscription>();
  private readonly closers = new Set<() => void>();
  private sequence = 0;

  /** Follows one client's events; returns the function that stops following. */
  attach(extension: string, client: Dial3cxClient, caller: CallerOptions = {}): () => void {
    // Incoming phases wait for the caller's name; one chain keeps them in order.
    let phases = Promise.resolve();
    const onCall = ({ type, call, incoming }: CallEvent) => {
      const view = callView(type === "ended" ? { ...call, state: "ended" } : call);
      this.publish(extension, `call.${type}`, { call: view });
      if (incoming !== "ringing" && incoming !== "answered" && incoming !== "missed") return;
      phases = phases.then(async () => {
        const named = caller.names
          ? await caller.names(call.number, call.name).catch(() => ({ name: undefined }))
          : { name: call.name };
        this.publish(extension, `call.${incoming}`, {
          call: view,
          from: call.number,
          fromE164: callbackTarget(call.number, caller.dial)?.e164 ?? null,
          name: named.name ?? null,
        });
      });
    };
    const onDevice = ({
      type,
      device,
    }: {
      type: "registered" | "unregistered";
      device: DeviceRegistration;
    }) => this.publish(extension, `device.${type}`, { device: deviceView(device) });
    client.on("call", onCall);
    client.on("device", onDevice);
    return () => {
      client.off("call", onCall);
      client.off("device", onDevice);
    };
  }

  /** Calls `listener` for each event (of `extension` only, when given) until unsubscribed. */
  subscribe(listener: Listener, extension?: string): () => void {
    const subscription = { listener, extension };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  /**
   * Registers what ends a long-lived subscriber (an SSE stream) when the gateway stops; returns
   * the function that unregisters it.
   */
  onClose(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Ends every long-lived subscriber (gateway shutdown). */
  closeAll(): void {
    for (const close of [...this.closers]) close();
    this.closers.clear();
  }

  private publish(
    extension: string,
    type: GatewayEventType,
    payload: Pick<GatewayEvent, "call" | "device" | "from" | "fromE164" | "name">,
  ): void {
    this.sequence += 1;
    const event: GatewayEvent = {
      id: String(this.sequence),
      type,
      time: new Date().toISOString(),
      extension,
      ...payload,
    };
    for (const subscription of [...this.subscriptions]) {
      if (subscription.extension !== undefined && subscription.extension !== extension) continue;
      try {
        subscription.listener(event);
      } catch {
        // One broken listener must not keep the event from the others (or from the client).
      }
    }
  }
}
