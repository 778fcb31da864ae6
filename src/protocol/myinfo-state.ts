// Owns the stored MyExtensionInfo (201) state: applies the PBX's full send and its deltas the way
// 3CX's own reducer (`JoinTool`, reference §8.11 [A]) does. The merge is generic over the schema
// (protobuf-es reflection), so it also covers nested wrappers, list items, DateTime and any message
// with the same Action/Id shape (227, 211), without per-message code.
//
// Choices where §8.11 is silent or 3CX's reducer is unknown (all [?], pinned by tests):
// - Top level: only an absent or NO_UPDATES action assigns over the stored state; every other
//   action (FULL_UPDATE, UPDATED, and the unspecified INSERTED/DELETED) merges. A FULL_UPDATE onto
//   existing state merges too, as §8.11 says, so it does not drop stale items: after a reconnect or
//   re-login, start again from `undefined`.
// - "Assigned over" is JavaScript's Object.assign: each present field of the update replaces the
//   stored one wholesale (action and id included); absent fields keep their values.
// - Nested single messages (Registrations, LocalConnections, DateTime...) always merge field by
//   field, whatever their own action; their action and id are kept like the top level's.
// - A list wrapper's own FULL_UPDATE does not clear the list (3CX [A]; EasyIsland [R] clears it).
// - List items are keyed by their `id` value (an unset id reads as 0). Item actions NO_UPDATES,
//   absent or unknown merge/add like INSERTED/UPDATED. Merged items keep their position; new ones
//   are appended.
// - Values taken over from an update (new items, FULL_UPDATE items, assigned fields) are copies
//   with DELETED items dropped from their keyed lists, so a DELETED item is never stored.
// - Unknown fields (numbers nobody modelled): an update's unknown field replaces the stored
//   entries with the same field number; stored numbers the update lacks are kept. The bytes cannot
//   be merged without a schema, so this is the "present replaces, absent keeps" rule per number.

import {
  clone,
  create,
  type DescField,
  type DescMessage,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  isReflectList,
  isReflectMap,
  isReflectMessage,
  type ReflectList,
  type ReflectMessage,
  reflect,
} from "@bufbuild/protobuf/reflect";
import { ActionType, type MyExtensionInfo, MyExtensionInfoSchema } from "./gen/myphone_pb.js";

/** Returns a NEW stored state (inputs are not mutated) after applying `update` to `stored`. */
export function applyMyInfoUpdate(
  stored: MyExtensionInfo | undefined,
  update: MyExtensionInfo,
): MyExtensionInfo {
  return applyUpdate(MyExtensionInfoSchema, stored, update);
}

/** The top-level rule of §8.11 for any message: merge, or assign over when action is 0/absent. */
export function applyUpdate<Desc extends DescMessage>(
  schema: Desc,
  stored: MessageShape<Desc> | undefined,
  update: MessageShape<Desc>,
): MessageShape<Desc> {
  const result = stored === undefined ? create(schema) : clone(schema, stored);
  const target = reflect(schema, result);
  const source = reflect(schema, update);
  if (assignsOver(source)) {
    assignInto(target, source);
  } else {
    mergeInto(target, source);
  }
  return result;
}

/** Field-by-field merge of `update` into a copy of `stored`, ignoring the top-level action. */
export function mergeMessage<Desc extends DescMessage>(
  schema: Desc,
  stored: MessageShape<Desc>,
  update: MessageShape<Desc>,
): MessageShape<Desc> {
  const result = clone(schema, stored);
  mergeInto(reflect(schema, result), reflect(schema, update));
  return result;
}

function assignsOver(update: ReflectMessage): boolean {
  const action = actionOf(update);
  return action === undefined || action === ActionType.NO_UPDATES;
}

/** Object.assign: each present field replaces the stored one wholesale. */
function assignInto(target: ReflectMessage, update: ReflectMessage): void {
  for (const field of update.fields) {
    if (!update.isSet(field)) continue;
    target.clear(field);
    mergeField(target, update, field);
  }
  mergeUnknown(target, update);
}

/** Present fields merge in, absent ones (and empty lists, which protobuf cannot tell from absent)
 * keep their values; a stored action and id are never overwritten. */
function mergeInto(target: ReflectMessage, update: ReflectMessage): void {
  for (const field of update.fields) {
    if (!update.isSet(field)) continue;
    if ((isActionField(field) || isIdField(field)) && target.isSet(field)) continue;
    mergeField(target, update, field);
  }
  mergeUnknown(target, update);
}

function mergeField(target: ReflectMessage, update: ReflectMessage, field: DescField): void {
  const incoming = update.get(field);
  if (field.fieldKind === "list" && isReflectList(incoming)) {
    mergeListField(target, field, incoming);
  } else if (field.fieldKind === "map" && isReflectMap(incoming)) {
    const map = target.get(field);
    for (const [key, value] of incoming) map.set(key, copyValue(value));
  } else if (field.fieldKind === "message" && isReflectMessage(incoming)) {
    mergeMessageField(target, field, incoming);
  } else {
    target.set(field, copyValue(incoming));
  }
}

function mergeMessageField(
  target: ReflectMessage,
  field: DescField & { fieldKind: "message" },
  incoming: ReflectMessage,
): void {
  if (!target.isSet(field)) {
    target.set(field, normalizedCopy(incoming));
    return;
  }
  const nested = target.get(field);
  mergeInto(nested, incoming);
  // Set it back: for wrapper types the reflected message is not the stored value itself.
  target.set(field, nested);
}

function mergeListField(
  target: ReflectMessage,
  field: DescField & { fieldKind: "list" },
  incoming: ReflectList,
): void {
  const list = target.get(field);
  const idField = field.listKind === "message" ? field.message.fields.find(isIdField) : undefined;
  if (idField === undefined) {
    // Scalars, and messages without an id to key by: replaced wholesale.
    list.clear();
    for (const item of incoming) list.add(copyValue(item));
    return;
  }
  const merged = mergeKeyedItems(
    [...list].filter((item) => isReflectMessage(item)),
    incoming,
    idField,
  );
  list.clear();
  for (const item of merged) list.add(item);
}

/** Applies each update item by its own action, in order; returns the new item list. */
function mergeKeyedItems(
  stored: ReflectMessage[],
  incoming: ReflectList,
  idField: DescField,
): ReflectMessage[] {
  const items = [...stored];
  for (const item of incoming) {
    if (!isReflectMessage(item)) continue;
    const id = item.get(idField);
    const index = items.findIndex((existing) => existing.get(idField) === id);
    const existing = items[index];
    const action = actionOf(item);
    if (action === ActionType.DELETED) {
      if (existing !== undefined) items.splice(index, 1);
    } else if (existing === undefined) {
      items.push(normalizedCopy(item));
    } else if (action === ActionType.FULL_UPDATE) {
      items[index] = normalizedCopy(item);
    } else {
      mergeInto(existing, item);
    }
  }
  return items;
}

/** A deep copy of an update's message as it should be stored: DELETED list items are dropped. */
function normalizedCopy(message: ReflectMessage): ReflectMessage {
  const copy = reflect(message.desc);
  mergeInto(copy, message);
  return copy;
}

function copyValue(value: unknown): unknown {
  if (isReflectMessage(value)) return normalizedCopy(value);
  if (value instanceof Uint8Array) return value.slice();
  return value;
}

function mergeUnknown(target: ReflectMessage, update: ReflectMessage): void {
  const incoming = update.getUnknown() ?? [];
  if (incoming.length === 0) return;
  const replacedNumbers = new Set(incoming.map((unknown) => unknown.no));
  const kept = (target.getUnknown() ?? []).filter((unknown) => !replacedNumbers.has(unknown.no));
  const copied = incoming.map((unknown) => ({ ...unknown, data: unknown.data.slice() }));
  target.setUnknown([...kept, ...copied]);
}

/** The message's ActionType if its schema has an `action` field and it is set. */
function actionOf(message: ReflectMessage): number | undefined {
  const field = message.fields.find(isActionField);
  if (field === undefined || !message.isSet(field)) return undefined;
  const value = message.get(field);
  return typeof value === "number" ? value : undefined;
}

function isActionField(field: DescField): boolean {
  return field.name === "action" && field.fieldKind === "enum";
}

function isIdField(field: DescField): boolean {
  return field.name === "id" && field.fieldKind === "scalar";
}
