// Fans the clients' call and device changes out to the gateway's listeners (SSE streams, webhooks)
// as `call.created`, `call.updated`, `call.ended`, `device.registered`, `device.unregistered`,
// and owns the JSON shape of a call and a device that the API and the events share.
import type { CallInfo, Dial3cxClient } from "../features/calls/client.js";
import { type DeviceRegistration, type DeviceView, deviceView } from "../features/calls/devices.js";
import { displayText } from "../features/display-text.js";

export const EVENT_TYPES = [
  "call.created",
  "call.updated",
  "call.ended",
  "device.registered",
  "device.unregistered",
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
  attach(extension: string, client: Dial3cxClient): () => void {
    const onCall = ({ type, call }: { type: "created" | "updated" | "ended"; call: CallInfo }) =>
      this.publish(extension, `call.${type}`, {
        call: callView(type === "ended" ? { ...call, state: "ended" } : call),
      });
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
    payload: Pick<GatewayEvent, "call" | "device">,
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
