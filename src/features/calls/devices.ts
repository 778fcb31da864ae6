// Registered devices as users see them: turns the PBX's `Registration` records (reference §8.4)
// into friendly names and kinds, picks the device a click-to-call should ring, and formats the
// `dial3cx devices` list. Pure: no I/O, no state.
//
// Decisions (the reference leaves these open):
// - Names are built only from a safe character set and contacts are escaped on output, because
//   user agents and contacts come from devices on the network and could carry terminal controls.
// - A selector made of digits only is always an index, never part of a name, so `--device 5` with
//   two devices fails instead of quietly ringing a "Yealink T54W".
// - Without a selector a lone desk phone wins over apps: click-to-call usually means "ring the
//   phone on my desk", and a softphone or web client may not even be in front of the user.
// - Messages quote the selector without naming --device: it may come from DIAL3CX_DEVICE or the
//   config file. The fix they name is still --device.

import type { DriverDevice } from "../../drivers/driver.js";
import { DeviceNotFoundError, NoDeviceError } from "../../errors.js";

export type DeviceKind = "desk-phone" | "softphone" | "mobile-app" | "web-client" | "unknown";

export interface DeviceRegistration {
  /** Registration id from the PBX. */
  id: string;
  /** Friendly name derived from the user agent, e.g. "Yealink T46S". Not unique. */
  name: string;
  kind: DeviceKind;
  /** SIP contact URI; what RequestMakeCall's device field needs, verbatim. */
  contact: string;
  /** "ip:port" the registration came from. */
  sourceAddress?: string;
  userAgent?: string;
  expiresAt?: Date;
}

// ---------------------------------------------------------------------------------------------
// Friendly names

interface UserAgentRule {
  pattern: RegExp;
  kind: DeviceKind;
  /** Builds the name from the match; capture groups only ever hold [A-Za-z0-9_-]. */
  name: (match: RegExpMatchArray) => string;
}

const MODEL = "([A-Za-z0-9][A-Za-z0-9_-]*)";

/** `${vendor} ${model}`, or the vendor alone when the UA names no model. */
function vendorModel(vendor: string) {
  return (m: RegExpMatchArray) => (m[1] ? `${vendor} ${m[1]}` : vendor);
}

const fixed = (name: string) => () => name;

/** Poly's "PolycomVVX-VVX_450-UA/…" family codes, spelled out as Poly markets them. */
const POLY_FAMILIES: Record<string, string> = {
  spip: "SoundPoint IP",
  ssip: "SoundStation IP",
  vvx: "VVX",
  edge: "Edge",
  trio: "Trio",
  ccx: "CCX",
};

function polyName(family: string, model: string | undefined): string {
  const spelled = POLY_FAMILIES[family.toLowerCase()] ?? family;
  return model ? `Poly ${spelled} ${model}` : `Poly ${spelled}`;
}

/**
 * First match wins, so order matters: the 3CX web client before the 3CX apps (its UA may name the
 * browser's OS), the apps before the generic "WebRTC" rule (the desktop app is WebRTC inside).
 */
const USER_AGENT_RULES: UserAgentRule[] = [
  // 3CX web client and apps.
  {
    pattern: /3CX\s*Web\s*Client|\bWeb\s*client\b/i,
    kind: "web-client",
    name: fixed("Web client"),
  },
  { pattern: /^3CX.*\b(?:iOS|iPhone|iPad)\b/i, kind: "mobile-app", name: fixed("3CX app (iOS)") },
  { pattern: /^3CX.*\bAndroid\b/i, kind: "mobile-app", name: fixed("3CX app (Android)") },
  {
    pattern: /^3CX.*\b(?:mac\s*OS|Mac|OS\s*X|Darwin)\b/i,
    kind: "softphone",
    name: fixed("3CX app (macOS)"),
  },
  {
    pattern: /^3CX.*\b(?:Windows|Win32|Win64)\b/i,
    kind: "softphone",
    name: fixed("3CX app (Windows)"),
  },
  { pattern: /^3CX.*\bLinux\b/i, kind: "softphone", name: fixed("3CX app (Linux)") },
  { pattern: /WebRTC/i, kind: "web-client", name: fixed("Web client") },
  { pattern: /^3CX/i, kind: "softphone", name: fixed("3CX app") },

  // Desk phones and DECT bases.
  {
    pattern: new RegExp(`^Yealink[\\s_-]+(?:SIP[\\s-]+)?${MODEL}`, "i"),
    kind: "desk-phone",
    name: vendorModel("Yealink"),
  },
  {
    pattern: /^snom[\s_-]*([A-Za-z]*\d[A-Za-z0-9]*)?/i,
    kind: "desk-phone",
    name: vendorModel("Snom"),
  },
  {
    pattern: new RegExp(`^Fanvil[\\s_-]+${MODEL}`, "i"),
    kind: "desk-phone",
    name: vendorModel("Fanvil"),
  },
  {
    pattern: new RegExp(`^Grandstream[\\s_-]+${MODEL}`, "i"),
    kind: "desk-phone",
    name: vendorModel("Grandstream"),
  },
  {
    pattern: /^Cisco[\s/-]+(?:CP-?)?([A-Za-z]*\d+[A-Za-z0-9]*)/i,
    kind: "desk-phone",
    name: vendorModel("Cisco"),
  },
  {
    pattern: /^Linksys[\s/-]+([A-Za-z]+\d+[A-Za-z0-9]*)/i,
    kind: "desk-phone",
    name: vendorModel("Linksys"),
  },
  {
    // "PolycomVVX-VVX_450-UA/6.3.1", "PolyEdge-Edge_E450-UA/8.0", "PolycomSoundPointIP-SPIP_335-UA/4"
    pattern: /^Poly(?:com)?[A-Za-z]*-([A-Za-z]+)_([A-Za-z0-9]+)-UA\b/i,
    kind: "desk-phone",
    name: (m) => polyName(m[1]!, m[2]),
  },
  {
    // "Polycom VVX 450", "Poly Edge E450"; a model after the family counts only as a whole word,
    // so the "6" of a version "6.3.1" is not taken for one.
    pattern:
      /^Poly(?:com)?[\s/-]+([A-Za-z]+\d*[A-Za-z]*)(?:[\s_-]+([A-Za-z]*\d+[A-Za-z]*)(?=[\s/]|$))?/i,
    kind: "desk-phone",
    name: (m) => polyName(m[1]!, m[2]),
  },
  {
    pattern: new RegExp(`^Htek[\\s_-]+${MODEL}`, "i"),
    kind: "desk-phone",
    name: vendorModel("Htek"),
  },
  {
    pattern: /^Gigaset(?:[\s_-]+([A-Za-z]*\d[A-Za-z0-9]*))?/i,
    kind: "desk-phone",
    name: vendorModel("Gigaset"),
  },
  {
    pattern: /^Panasonic[\s_-]+(KX-[A-Za-z0-9]+)/i,
    kind: "desk-phone",
    name: vendorModel("Panasonic"),
  },
  {
    pattern: /^Aastra[\s_-]*([A-Za-z0-9]+)?/i,
    kind: "desk-phone",
    name: vendorModel("Aastra"),
  },
  {
    pattern: /^Mitel[\s_-]*([A-Za-z0-9]+)?/i,
    kind: "desk-phone",
    name: vendorModel("Mitel"),
  },
  {
    pattern: /^(?:Alcatel-Lucent|ALE)[\s_-]+([A-Za-z0-9]+)/i,
    kind: "desk-phone",
    name: vendorModel("Alcatel-Lucent"),
  },
  {
    pattern: /^Escene[\s_-]+([A-Za-z0-9]+)/i,
    kind: "desk-phone",
    name: vendorModel("Escene"),
  },

  // Door stations are not the phone a click-to-call should ring: named, but never the default.
  {
    pattern: new RegExp(`^Akuvox[\\s_-]+${MODEL}`, "i"),
    kind: "unknown",
    name: vendorModel("Akuvox"),
  },
  { pattern: /^2N[\s_-]+Helios/i, kind: "unknown", name: fixed("2N Helios IP") },

  // Third-party softphones often registered on 3CX.
  { pattern: /^(?:Zoiper|Z \d)/i, kind: "softphone", name: fixed("Zoiper") },
  { pattern: /^MicroSIP\b/i, kind: "softphone", name: fixed("MicroSIP") },
  { pattern: /^Linphone/i, kind: "softphone", name: fixed("Linphone") },
  { pattern: /^Bria\b/i, kind: "softphone", name: fixed("Bria") },
  { pattern: /^X-Lite\b/i, kind: "softphone", name: fixed("X-Lite") },
];

const UNKNOWN_DEVICE = "Unknown device";
const MAX_FALLBACK_NAME = 32;

/** Name and kind for a SIP User-Agent string, e.g. "Yealink SIP-T46S 66.86.0.15" → Yealink T46S. */
export function friendlyDeviceName(userAgent: string | undefined): {
  name: string;
  kind: DeviceKind;
} {
  const ua = (userAgent ?? "").trim().replace(/\s+/g, " ");
  if (ua === "") return { name: UNKNOWN_DEVICE, kind: "unknown" };
  for (const rule of USER_AGENT_RULES) {
    const match = ua.match(rule.pattern);
    if (match) return { name: rule.name(match), kind: rule.kind };
  }
  return { name: fallbackName(ua), kind: "unknown" };
}

/** First token of an unknown UA, without its "/version" and without anything unprintable. */
function fallbackName(ua: string): string {
  const token = (ua.split(" ")[0] ?? "").split("/")[0] ?? "";
  const cleaned = token
    .replace(/[^\p{L}\p{N}._+-]/gu, "")
    .replace(/^[._+-]+|[._+-]+$/g, "")
    .slice(0, MAX_FALLBACK_NAME);
  return cleaned === "" ? UNKNOWN_DEVICE : cleaned;
}

/** A device as `--json` output and the gateway's API show it. */
export interface DeviceView {
  id: string;
  name: string;
  kind: DeviceKind;
  contact: string;
  sourceAddress: string | null;
  userAgent: string | null;
  expiresAt: string | null;
}

export function deviceView(device: DeviceRegistration): DeviceView {
  return {
    id: device.id,
    name: device.name,
    kind: device.kind,
    contact: device.contact,
    sourceAddress: device.sourceAddress ?? null,
    userAgent: device.userAgent ?? null,
    expiresAt: device.expiresAt?.toISOString() ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// From a driver

export function describeDevice(device: DriverDevice): DeviceRegistration {
  return { ...device, ...friendlyDeviceName(device.userAgent) };
}

// ---------------------------------------------------------------------------------------------
// Selection

/**
 * Picks the device a call should ring. selector: a name (case-insensitive, exact or unique
 * prefix/substring, e.g. "yealink", "T46S"), a 1-based index as shown by `dial3cx devices`, or an
 * exact contact URI. Without a selector (or a blank one): the only device; else the only desk
 * phone; else DeviceNotFoundError listing the choices. No devices at all: NoDeviceError.
 */
export function selectDevice(devices: DeviceRegistration[], selector?: string): DeviceRegistration {
  if (devices.length === 0) throw new NoDeviceError();
  const wanted = selector?.trim() ?? "";
  return wanted === "" ? defaultDevice(devices) : deviceMatching(devices, wanted);
}

function defaultDevice(devices: DeviceRegistration[]): DeviceRegistration {
  if (devices.length === 1) return devices[0]!;
  const deskPhones = devices.filter((d) => d.kind === "desk-phone");
  if (deskPhones.length === 1) return deskPhones[0]!;
  throw new DeviceNotFoundError(
    `Several devices are registered and none is a lone desk phone: pass --device, one of: ${choices(devices, devices)}.`,
  );
}

function deviceMatching(devices: DeviceRegistration[], selector: string): DeviceRegistration {
  const byContact = devices.find((d) => d.contact === selector);
  if (byContact) return byContact;
  if (/^\d+$/.test(selector)) return deviceAtIndex(devices, selector);

  const needle = foldName(selector);
  const tiers: Array<(name: string) => boolean> = [
    (name) => name === needle,
    (name) => name.startsWith(needle),
    (name) => name.includes(needle),
  ];
  for (const matches of tiers) {
    const found = devices.filter((d) => matches(foldName(d.name)));
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new DeviceNotFoundError(
        `The device ${quote(selector)} matches ${found.length} devices: pass --device with the number, one of: ${choices(devices, found)}.`,
      );
    }
  }
  throw new DeviceNotFoundError(
    `No registered device matches ${quote(selector)}: pass --device, one of: ${choices(devices, devices)}.`,
  );
}

function deviceAtIndex(devices: DeviceRegistration[], selector: string): DeviceRegistration {
  const device = devices[Number(selector) - 1];
  if (Number(selector) >= 1 && device) return device;
  throw new DeviceNotFoundError(
    `There is no device ${selector} (${devices.length} registered): pass --device, one of: ${choices(devices, devices)}.`,
  );
}

function foldName(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * "1 Yealink T46S, 2 3CX app (Windows)" with the indices of the full list. A name shared by
 * several devices gets its contact appended, so the user can tell which index is which.
 */
function choices(all: DeviceRegistration[], shown: DeviceRegistration[]): string {
  const nameCounts = new Map<string, number>();
  for (const d of all) nameCounts.set(d.name, (nameCounts.get(d.name) ?? 0) + 1);
  return shown
    .map((d) => {
      const label = `${all.indexOf(d) + 1} ${d.name}`;
      return (nameCounts.get(d.name) ?? 0) > 1 ? `${label} (${printable(d.contact)})` : label;
    })
    .join(", ");
}

// ---------------------------------------------------------------------------------------------
// Listing

export interface DeviceListOptions {
  /** IANA zone for the expiry time; defaults to the system zone. */
  timeZone?: string;
  /** "Now", to decide whether the expiry needs its date; defaults to the current time. */
  now?: Date;
}

/**
 * One line per device, columns aligned, e.g.
 * " 1  Yealink T46S  sip:100@192.168.178.20:5062;rinstance=a1  192.168.178.20:5062  expires 14:32".
 * The expiry is in local time, with its date only when that is not today.
 */
export function formatDeviceList(
  devices: DeviceRegistration[],
  options: DeviceListOptions = {},
): string[] {
  const rows = devices.map((d, i) => [
    String(i + 1),
    d.name,
    printable(d.contact),
    printable(d.sourceAddress ?? ""),
    d.expiresAt ? `expires ${formatExpiry(d.expiresAt, options)}` : "",
  ]);
  const widths = [0, 1, 2, 3].map((col) => Math.max(0, ...rows.map((r) => r[col]!.length)));
  const indexWidth = Math.max(2, widths[0]!);
  return rows.map((r) => {
    const cells = [
      r[0]!.padStart(indexWidth),
      r[1]!.padEnd(widths[1]!),
      r[2]!.padEnd(widths[2]!),
      r[3]!.padEnd(widths[3]!),
      r[4]!,
    ];
    return cells.join("  ").trimEnd();
  });
}

function formatExpiry(expiresAt: Date, options: DeviceListOptions): string {
  const parts = (date: Date) => {
    const fields = new Intl.DateTimeFormat("en-CA", {
      timeZone: options.timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(date);
    const get = (type: Intl.DateTimeFormatPartTypes) =>
      fields.find((p) => p.type === type)?.value ?? "";
    return {
      day: `${get("year")}-${get("month")}-${get("day")}`,
      time: `${get("hour")}:${get("minute")}`,
    };
  };
  const expiry = parts(expiresAt);
  const today = parts(options.now ?? new Date()).day;
  return expiry.day === today ? expiry.time : `${expiry.day} ${expiry.time}`;
}

// ---------------------------------------------------------------------------------------------
// Output safety

/** Escapes control and format characters so PBX- or user-supplied text cannot steer a terminal. */
function printable(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

function quote(text: string): string {
  return `"${printable(text)}"`;
}
