// Registration records (reference §8.4) as driver devices: presence-aware, DateTime read as UTC.
// - `DateTime` is read as UTC (reference §8.12 and §12.13: the zone is not stated; EasyIsland
//   assumes UTC). An unset or impossible date (year 0, 31 February...) gives no `expiresAt`.
// - An empty `SourceAddress` or `UserAgent` is treated like an unset one: it tells the user nothing.
import { isFieldSet } from "@bufbuild/protobuf";
import {
  type DateTime,
  type Registration,
  RegistrationSchema,
} from "../../protocol/gen/myphone_pb.js";
import type { DriverDevice } from "../driver.js";

export function toDriverDevice(reg: Registration): DriverDevice {
  const device: DriverDevice = { id: String(reg.id), contact: reg.contact };
  const sourceAddress = presentString(reg, "sourceAddress");
  if (sourceAddress !== undefined) device.sourceAddress = sourceAddress;
  const userAgent = presentString(reg, "userAgent");
  if (userAgent !== undefined) device.userAgent = userAgent;
  const expiresAt = dateTimeToDate(reg.expiresAt);
  if (expiresAt !== undefined) device.expiresAt = expiresAt;
  return device;
}

/** proto2 optional strings read as "" when unset; presence comes from isFieldSet. */
function presentString(
  reg: Registration,
  field: "sourceAddress" | "userAgent",
): string | undefined {
  if (!isFieldSet(reg, RegistrationSchema.field[field])) return undefined;
  return reg[field] === "" ? undefined : reg[field];
}

/** DateTime read as UTC; undefined when unset or not a real calendar moment. */
export function dateTimeToDate(dt: DateTime | undefined): Date | undefined {
  if (dt === undefined) return undefined;
  const { year, month, day, hour, minute, second } = dt;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 Feb into March and maps years 0-99 to 19xx; a round trip catches both.
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}
