// Tests for the MyExtensionInfo reducer: one test per rule of reference §8.11, plus the choices
// documented in myinfo-state.ts, a realistic push sequence and a model-based property.

import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  ActionType,
  CallState,
  type LocalConnection,
  type MyExtensionInfo,
  MyExtensionInfoSchema,
  RegistrationSchema,
  ResponseCallHistorySchema,
} from "./gen/myphone_pb.js";
import { applyMyInfoUpdate, applyUpdate, mergeMessage } from "./myinfo-state.js";

const { NO_UPDATES, FULL_UPDATE, INSERTED, UPDATED, DELETED } = ActionType;

function myInfo(init: MessageInitShape<typeof MyExtensionInfoSchema>): MyExtensionInfo {
  return create(MyExtensionInfoSchema, init);
}

/** A delta (UPDATED) on extension 7, as the PBX sends after the first full send. */
function delta(init: MessageInitShape<typeof MyExtensionInfoSchema>): MyExtensionInfo {
  return myInfo({ action: UPDATED, id: 7, ...init });
}

const deskPhone = {
  action: INSERTED,
  id: 1,
  contact: "sip:101@10.0.0.5:5060",
  userAgent: "Yealink",
};
const app = { action: INSERTED, id: 2, contact: "sip:101@10.0.0.9:5062", userAgent: "3CX App" };

/** The first full send: extension 101 with a desk phone and the app registered. */
function fullSend(): MyExtensionInfo {
  return myInfo({
    action: FULL_UPDATE,
    id: 7,
    number: "101",
    firstName: "Ada",
    lastName: "Lovelace",
    dnd: false,
    activeDevices: { action: FULL_UPDATE, items: [deskPhone, app] },
  });
}

function deviceIds(state: MyExtensionInfo): number[] {
  return state.activeDevices?.items.map((device) => device.id) ?? [];
}

function connectionIds(state: MyExtensionInfo): number[] {
  return state.connections?.items.map((connection) => connection.id) ?? [];
}

describe("top-level object", () => {
  it("FULL_UPDATE with nothing stored: the update becomes the state", () => {
    const state = applyMyInfoUpdate(undefined, fullSend());
    expect(state).toEqual(fullSend());
    expect(deviceIds(state)).toEqual([1, 2]);
  });

  it("UPDATED: each present field is merged in, action and id are skipped", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      myInfo({ action: UPDATED, id: 99, dnd: true, missedCallsCount: 3 }),
    );
    expect(state.dnd).toBe(true);
    expect(state.missedCallsCount).toBe(3);
    expect(state.number).toBe("101");
    expect(state.action).toBe(FULL_UPDATE);
    expect(state.id).toBe(7);
  });

  it("FULL_UPDATE onto existing state merges (reference §8.11), it does not replace", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      myInfo({
        action: FULL_UPDATE,
        id: 7,
        firstName: "Augusta",
        activeDevices: { action: FULL_UPDATE, items: [{ action: FULL_UPDATE, id: 3 }] },
      }),
    );
    expect(state.firstName).toBe("Augusta");
    expect(state.lastName).toBe("Lovelace");
    expect(deviceIds(state)).toEqual([1, 2, 3]);
  });

  it("action absent: the update is assigned over the stored state", () => {
    const update = myInfo({
      id: 8,
      number: "102",
      activeDevices: { action: UPDATED, items: [{ action: UPDATED, id: 2, userAgent: "new" }] },
    });
    const state = applyMyInfoUpdate(fullSend(), update);
    expect(state.id).toBe(8);
    expect(state.number).toBe("102");
    expect(state.firstName).toBe("Ada"); // absent: kept, as with Object.assign
    // Present fields replace wholesale: no keyed merge, the desk phone and the contact are gone.
    expect(deviceIds(state)).toEqual([2]);
    expect(state.activeDevices?.items[0]?.contact).toBe("");
  });

  it("action NO_UPDATES: the update is assigned over the stored state", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      myInfo({ action: NO_UPDATES, id: 7, activeDevices: { action: NO_UPDATES, items: [app] } }),
    );
    expect(state.action).toBe(NO_UPDATES);
    expect(deviceIds(state)).toEqual([2]);
    expect(state.number).toBe("101");
  });

  it("action INSERTED (not specified by §8.11) merges like UPDATED", () => {
    const state = applyMyInfoUpdate(fullSend(), myInfo({ action: INSERTED, id: 7, dnd: true }));
    expect(state.dnd).toBe(true);
    expect(deviceIds(state)).toEqual([1, 2]);
    expect(state.action).toBe(FULL_UPDATE);
  });

  it("the stored top level keeps its required action and id", () => {
    const afterDelta = applyMyInfoUpdate(fullSend(), delta({ id: 42, number: "101" }));
    expect(afterDelta.action).toBe(FULL_UPDATE);
    expect(afterDelta.id).toBe(7);
    const again = applyMyInfoUpdate(afterDelta, myInfo({ action: FULL_UPDATE, id: 43 }));
    expect(again.action).toBe(FULL_UPDATE);
    expect(again.id).toBe(7);
  });
});

describe("lists of objects, keyed by id", () => {
  it("item DELETED removes the item", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({ activeDevices: { action: UPDATED, items: [{ action: DELETED, id: 1 }] } }),
    );
    expect(deviceIds(state)).toEqual([2]);
  });

  it("item DELETED for an unknown id changes nothing", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({ activeDevices: { action: UPDATED, items: [{ action: DELETED, id: 9 }] } }),
    );
    expect(state).toEqual(fullSend());
  });

  it("item FULL_UPDATE replaces the item", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({
        activeDevices: { action: UPDATED, items: [{ action: FULL_UPDATE, id: 1, userAgent: "X" }] },
      }),
    );
    const phone = state.activeDevices?.items[0];
    expect(phone?.id).toBe(1);
    expect(phone?.userAgent).toBe("X");
    expect(phone?.contact).toBe(""); // not carried over from the replaced item
    expect(phone?.action).toBe(FULL_UPDATE);
    expect(deviceIds(state)).toEqual([1, 2]);
  });

  it("item INSERTED merges into the existing item", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({
        activeDevices: { action: UPDATED, items: [{ action: INSERTED, id: 2, userAgent: "v2" }] },
      }),
    );
    expect(state.activeDevices?.items[1]).toMatchObject({
      id: 2,
      userAgent: "v2",
      contact: app.contact,
    });
  });

  it("item INSERTED adds an unknown item", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({ activeDevices: { action: UPDATED, items: [{ action: INSERTED, id: 3 }] } }),
    );
    expect(deviceIds(state)).toEqual([1, 2, 3]);
  });

  it("item UPDATED merges into the existing item, keeping its position", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({
        activeDevices: {
          action: UPDATED,
          items: [{ action: UPDATED, id: 1, sourceAddress: "10.0.0.5:5060" }],
        },
      }),
    );
    expect(deviceIds(state)).toEqual([1, 2]);
    expect(state.activeDevices?.items[0]).toMatchObject({
      contact: deskPhone.contact,
      userAgent: "Yealink",
      sourceAddress: "10.0.0.5:5060",
      action: INSERTED, // a merged item keeps its stored action, like the top level
    });
  });

  it("item UPDATED adds an unknown item", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({ activeDevices: { action: UPDATED, items: [{ action: UPDATED, id: 5 }] } }),
    );
    expect(deviceIds(state)).toEqual([1, 2, 5]);
  });

  it("items whose action is absent merge or add", () => {
    // ForwardingProfile has no action field at all; LocalConnection's is optional.
    const stored = applyMyInfoUpdate(
      undefined,
      myInfo({
        action: FULL_UPDATE,
        id: 7,
        profiles: {
          items: [
            { id: 1, name: "Available" },
            { id: 2, name: "Away" },
          ],
        },
        connections: { items: [{ id: 10, state: CallState.RINGING, otherPartyNumber: "200" }] },
      }),
    );
    const state = applyMyInfoUpdate(
      stored,
      delta({
        profiles: {
          items: [
            { id: 2, customName: "Lunch" },
            { id: 3, name: "Custom 1" },
          ],
        },
        connections: { items: [{ id: 10, state: CallState.CONNECTED }] },
      }),
    );
    expect(state.profiles?.items).toMatchObject([
      { id: 1, name: "Available" },
      { id: 2, name: "Away", customName: "Lunch" },
      { id: 3, name: "Custom 1" },
    ]);
    expect(state.connections?.items).toMatchObject([
      { id: 10, state: CallState.CONNECTED, otherPartyNumber: "200" },
    ]);
  });

  it("items with no id field in their schema: the list is replaced wholesale", () => {
    const record = (number: string) => ({ parties: { items: [{ number }] } });
    const stored = create(ResponseCallHistorySchema, { records: [record("1"), record("2")] });
    const update = create(ResponseCallHistorySchema, { records: [record("3")] });
    const merged = mergeMessage(ResponseCallHistorySchema, stored, update);
    expect(merged.records.map((r) => r.parties?.items[0]?.number)).toEqual(["3"]);
  });

  it("a list field that arrives empty is ignored", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({ activeDevices: { action: UPDATED, items: [] } }),
    );
    expect(deviceIds(state)).toEqual([1, 2]);
    expect(state.activeDevices?.action).toBe(FULL_UPDATE);
  });

  it("a list wrapper's own FULL_UPDATE does not clear the list (3CX [A], not EasyIsland [R])", () => {
    const state = applyMyInfoUpdate(
      fullSend(),
      delta({
        activeDevices: { action: FULL_UPDATE, items: [{ action: FULL_UPDATE, id: 3 }] },
      }),
    );
    expect(deviceIds(state)).toEqual([1, 2, 3]);
  });

  it("a DELETED connection never remains in the stored list", () => {
    const ended = { action: DELETED, id: 10, state: CallState.CONNECTED };
    // Even in the first send, and when the deleted call was never stored.
    const first = applyMyInfoUpdate(
      undefined,
      myInfo({ action: FULL_UPDATE, id: 7, connections: { items: [ended, { id: 11 }] } }),
    );
    expect(connectionIds(first)).toEqual([11]);
    const later = applyMyInfoUpdate(
      first,
      delta({ connections: { action: UPDATED, items: [{ ...ended, id: 11 }, ended] } }),
    );
    expect(connectionIds(later)).toEqual([]);
    // And when a replace (action absent) carries one.
    const replaced = applyMyInfoUpdate(
      first,
      myInfo({ id: 7, connections: { items: [ended, { id: 12 }] } }),
    );
    expect(connectionIds(replaced)).toEqual([12]);
  });
});

describe("other field kinds", () => {
  it("lists of scalars are replaced wholesale", () => {
    const stored = create(FieldMaskSchema, { paths: ["a", "b"] });
    const merged = mergeMessage(FieldMaskSchema, stored, create(FieldMaskSchema, { paths: ["c"] }));
    expect(merged.paths).toEqual(["c"]);
    const ignored = mergeMessage(FieldMaskSchema, stored, create(FieldMaskSchema, { paths: [] }));
    expect(ignored.paths).toEqual(["a", "b"]);
  });

  it("nested objects are merged recursively", () => {
    const expiresAt = { year: 2025, month: 6, day: 1, hour: 12, minute: 0, second: 0 };
    const stored = applyMyInfoUpdate(
      undefined,
      myInfo({
        action: FULL_UPDATE,
        id: 7,
        activeDevices: { action: FULL_UPDATE, items: [{ ...deskPhone, expiresAt }] },
      }),
    );
    const state = applyMyInfoUpdate(
      stored,
      delta({
        activeDevices: {
          action: UPDATED,
          items: [{ action: UPDATED, id: 1, expiresAt: { hour: 13, minute: 30 } }],
        },
      }),
    );
    expect(state.activeDevices?.items[0]?.expiresAt).toMatchObject({
      ...expiresAt,
      hour: 13,
      minute: 30,
    });
    expect(state.activeDevices?.items[0]?.contact).toBe(deskPhone.contact);
  });

  it("fields absent from an update keep their old values", () => {
    const state = applyMyInfoUpdate(fullSend(), delta({ queueStatus: true }));
    expect(state).toEqual(myInfo({ ...fullSend(), queueStatus: true }));
  });

  it("a present field set to its zero value overwrites (presence, not truthiness)", () => {
    const stored = applyMyInfoUpdate(fullSend(), delta({ dnd: true, missedCallsCount: 4 }));
    const state = applyMyInfoUpdate(stored, delta({ dnd: false, missedCallsCount: 0 }));
    expect(state.dnd).toBe(false);
    expect(state.missedCallsCount).toBe(0);
  });

  it("unknown fields: the update's replace stored ones of the same number, others are kept", () => {
    // Field 19 (varint) and 21 (varint) are not modelled.
    const withUnknown = (base: MyExtensionInfo, bytes: number[]) =>
      fromBinary(
        MyExtensionInfoSchema,
        new Uint8Array([...toBinary(MyExtensionInfoSchema, base), ...bytes]),
      );
    const stored = withUnknown(fullSend(), [0x98, 0x01, 0x05, 0xa8, 0x01, 0x01]); // 19=5, 21=1
    const update = withUnknown(delta({}), [0x98, 0x01, 0x06]); // 19=6
    const state = applyMyInfoUpdate(stored, update);
    const unknown = (state.$unknown ?? []).map((field) => [field.no, [...field.data]]);
    expect(unknown).toEqual([
      [21, [1]],
      [19, [6]],
    ]);
    state.$unknown?.[1]?.data.fill(0); // the bytes are copies, not the update's
    expect(update.$unknown?.[0]?.data).toEqual(new Uint8Array([6]));
    const reread = fromBinary(MyExtensionInfoSchema, toBinary(MyExtensionInfoSchema, state));
    expect(reread.number).toBe("101");
  });

  it("the generic top-level rule works for any schema (applyUpdate)", () => {
    const stored = create(FieldMaskSchema, { paths: ["a"] });
    // FieldMask has no action: an update is assigned over the stored state.
    const state = applyUpdate(FieldMaskSchema, stored, create(FieldMaskSchema, { paths: ["b"] }));
    expect(state.paths).toEqual(["b"]);
  });
});

describe("inputs", () => {
  it("inputs are not mutated and the result shares no objects with them", () => {
    const stored = fullSend();
    const update = delta({
      activeDevices: {
        action: UPDATED,
        items: [
          { action: DELETED, id: 1 },
          { action: UPDATED, id: 2, userAgent: "v2", expiresAt: { year: 2030 } },
          { action: INSERTED, id: 3 },
        ],
      },
    });
    const storedBytes = toBinary(MyExtensionInfoSchema, stored);
    const updateBytes = toBinary(MyExtensionInfoSchema, update);
    const state = applyMyInfoUpdate(stored, update);
    expect(toBinary(MyExtensionInfoSchema, stored)).toEqual(storedBytes);
    expect(toBinary(MyExtensionInfoSchema, update)).toEqual(updateBytes);
    expect(stored).toEqual(fullSend());

    state.activeDevices!.items[0]!.expiresAt!.year = 1999;
    state.activeDevices!.items.push(create(RegistrationSchema, { id: 9 }));
    expect(update.activeDevices?.items[1]?.expiresAt?.year).toBe(2030);
    expect(stored.activeDevices?.items).toHaveLength(2);
    expect(state).not.toBe(stored);
  });

  it("the first send is copied, not stored by reference", () => {
    const update = fullSend();
    const state = applyMyInfoUpdate(undefined, update);
    state.activeDevices!.items[0]!.contact = "changed";
    expect(update.activeDevices?.items[0]?.contact).toBe(deskPhone.contact);
  });
});

describe("a realistic sequence", () => {
  it("full send, device inserted, device deleted, call dialing, connected, ended", () => {
    const call = { id: 501, otherPartyNumber: "+4930123456", otherPartyDisplayName: "Office" };
    const pushes = [
      fullSend(),
      delta({
        activeDevices: {
          action: UPDATED,
          items: [{ action: INSERTED, id: 3, contact: "sip:101@web" }],
        },
      }),
      delta({ activeDevices: { action: UPDATED, items: [{ action: DELETED, id: 2 }] } }),
      delta({
        connections: {
          action: UPDATED,
          items: [{ action: INSERTED, ...call, state: CallState.DIALING, isIncoming: false }],
        },
      }),
      delta({
        connections: {
          action: UPDATED,
          items: [{ action: UPDATED, id: 501, state: CallState.CONNECTED }],
        },
      }),
    ];
    let state: MyExtensionInfo | undefined;
    for (const push of pushes) state = applyMyInfoUpdate(state, push);
    expect(deviceIds(state!)).toEqual([1, 3]);
    expect(state?.connections?.items).toMatchObject([
      { ...call, state: CallState.CONNECTED, isIncoming: false },
    ]);

    state = applyMyInfoUpdate(
      state,
      delta({ connections: { action: UPDATED, items: [{ action: DELETED, id: 501 }] } }),
    );
    expect(state).toEqual(
      myInfo({
        action: FULL_UPDATE,
        id: 7,
        number: "101",
        firstName: "Ada",
        lastName: "Lovelace",
        dnd: false,
        activeDevices: {
          action: FULL_UPDATE,
          items: [deskPhone, { action: INSERTED, id: 3, contact: "sip:101@web" }],
        },
        connections: { action: UPDATED, items: [] },
      }),
    );
  });
});

/** Model of the live calls: what the reducer should hold after a sequence of connection deltas. */
type ConnectionOp = {
  action: ActionType;
  id: number;
  state?: CallState;
  otherPartyNumber?: string;
};

function applyToModel(model: Map<number, Partial<LocalConnection>>, op: ConnectionOp): void {
  const fields = {
    ...(op.state === undefined ? {} : { state: op.state }),
    ...(op.otherPartyNumber === undefined ? {} : { otherPartyNumber: op.otherPartyNumber }),
  };
  if (op.action === DELETED) model.delete(op.id);
  else if (op.action === FULL_UPDATE || !model.has(op.id))
    model.set(op.id, { id: op.id, ...fields });
  else model.set(op.id, { ...model.get(op.id), ...fields });
}

const connectionOp = fc.record(
  {
    action: fc.constantFrom(NO_UPDATES, FULL_UPDATE, INSERTED, UPDATED, DELETED),
    id: fc.integer({ min: 1, max: 4 }),
    state: fc.constantFrom(CallState.RINGING, CallState.DIALING, CallState.CONNECTED),
    otherPartyNumber: fc.constantFrom("100", "200"),
  },
  { requiredKeys: ["action", "id"] },
);

describe("property", () => {
  test.prop([fc.array(fc.array(connectionOp, { maxLength: 4 }), { maxLength: 8 })])(
    "connection deltas match a keyed-map model and never store a DELETED item",
    (pushes) => {
      const model = new Map<number, Partial<LocalConnection>>();
      let state = applyMyInfoUpdate(undefined, myInfo({ action: FULL_UPDATE, id: 7 }));
      for (const ops of pushes) {
        state = applyMyInfoUpdate(state, delta({ connections: { action: UPDATED, items: ops } }));
        for (const op of ops) applyToModel(model, op);
      }
      const items = state.connections?.items ?? [];
      expect(items.some((item) => item.action === DELETED)).toBe(false);
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      expect(items.map((item) => item.id).sort()).toEqual([...model.keys()].sort());
      for (const item of items) {
        const expected = model.get(item.id);
        expect({ state: item.state, number: item.otherPartyNumber }).toEqual({
          state: expected?.state ?? CallState.NONE,
          number: expected?.otherPartyNumber ?? "",
        });
      }
    },
  );
});
