// Tests for src/features/devices.ts: friendly names, Registration conversion, device selection and
// the device list.

import { describe, expect, it } from "vitest";
import { DeviceNotFoundError, NoDeviceError } from "../../errors.js";
import {
  type DeviceKind,
  type DeviceRegistration,
  formatDeviceList,
  friendlyDeviceName,
  selectDevice,
} from "./devices.js";

describe("friendlyDeviceName", () => {
  const cases: Array<[string | undefined, string, DeviceKind]> = [
    ["Yealink SIP-T46S 66.86.0.15", "Yealink T46S", "desk-phone"],
    ["Yealink SIP-T54W 96.86.0.100", "Yealink T54W", "desk-phone"],
    ["Yealink W60B 77.85.0.25", "Yealink W60B", "desk-phone"],
    ["Yealink SIP VP-T49G 51.80.0.100", "Yealink VP-T49G", "desk-phone"],
    ["yealink sip-t31p 124.86.0.40", "Yealink t31p", "desk-phone"],
    ["snom D785/10.1.73.16", "Snom D785", "desk-phone"],
    ["snomD735/10.1.33.33", "Snom D735", "desk-phone"],
    ["snom370-SIP 8.7.3.25", "Snom 370", "desk-phone"],
    ["Fanvil X6U 2.12.1 0c383e0a1b2c", "Fanvil X6U", "desk-phone"],
    ["Grandstream GXP2170 1.0.11.3", "Grandstream GXP2170", "desk-phone"],
    ["Grandstream DP750 1.0.3.37", "Grandstream DP750", "desk-phone"],
    ["Cisco/SPA504G-7.6.2", "Cisco SPA504G", "desk-phone"],
    ["Cisco-CP8841-3PCC/11.3.1", "Cisco 8841", "desk-phone"],
    ["Linksys/SPA942-6.1.5(a)", "Linksys SPA942", "desk-phone"],
    ["Polycom VVX 450", "Poly VVX 450", "desk-phone"],
    ["Polycom VVX450 6.3.1", "Poly VVX450", "desk-phone"],
    ["PolycomVVX-VVX_450-UA/6.3.1.8427", "Poly VVX 450", "desk-phone"],
    ["PolycomSoundPointIP-SPIP_335-UA/4.0.14.1580", "Poly SoundPoint IP 335", "desk-phone"],
    ["PolyEdge-Edge_E450-UA/8.0.2.3267", "Poly Edge E450", "desk-phone"],
    ["Htek UC926 2.0.4.4.46", "Htek UC926", "desk-phone"],
    ["Gigaset N670 IP PRO/83.V2.11.0+build.a546b85", "Gigaset N670", "desk-phone"],
    ["Gigaset", "Gigaset", "desk-phone"],
    ["Panasonic_KX-HDV230/02.100 (0080f0aabbcc)", "Panasonic KX-HDV230", "desk-phone"],
    ["Panasonic-KX-UT136/01.133", "Panasonic KX-UT136", "desk-phone"],
    ["Aastra 6731i/3.3.1.4322", "Aastra 6731i", "desk-phone"],
    ["Mitel 6867i/5.1.0.2051", "Mitel 6867i", "desk-phone"],
    ["3CX Desktop App for Windows 18.12.416", "3CX app (Windows)", "softphone"],
    ["3CXPhone for Windows 16.3.0.100", "3CX app (Windows)", "softphone"],
    ["3CX for Windows", "3CX app (Windows)", "softphone"],
    ["3CX Windows 20.0.1", "3CX app (Windows)", "softphone"],
    ["3CXPhone for Mac 16.0", "3CX app (macOS)", "softphone"],
    ["3CX Desktop App for macOS 18.12", "3CX app (macOS)", "softphone"],
    ["3CX Android 18.5.3", "3CX app (Android)", "mobile-app"],
    ["3CXPhone for Android 16.3.0", "3CX app (Android)", "mobile-app"],
    ["3CX iOS 18.5.1", "3CX app (iOS)", "mobile-app"],
    ["3CXPhone for iPhone 16.2", "3CX app (iOS)", "mobile-app"],
    ["3CX Web Client", "Web client", "web-client"],
    ["3CXWebClient/20.0.2 (Windows; Chrome 124)", "Web client", "web-client"],
    ["Webclient", "Web client", "web-client"],
    ["WebRTC", "Web client", "web-client"],
    ["3CX", "3CX app", "softphone"],
    ["Zoiper rv2.10.20.1", "Zoiper", "softphone"],
    ["Z 5.6.4 v2.10.20.5", "Zoiper", "softphone"],
    ["MicroSIP/3.21.3", "MicroSIP", "softphone"],
    ["Akuvox R20A 20.0.1.49", "Akuvox R20A", "unknown"],
    ["FooPhone/1.2.3 (Linux)", "FooPhone", "unknown"],
    ["  Acme-Dect_Base  ", "Acme-Dect_Base", "unknown"],
    ["\u001b[31mEvil\u001b[0m 1.0", "31mEvil0m", "unknown"],
    ["/1.0", "Unknown device", "unknown"],
    ["", "Unknown device", "unknown"],
    ["   ", "Unknown device", "unknown"],
    [undefined, "Unknown device", "unknown"],
  ];
  it.each(cases)("%j → %s (%s)", (ua, name, kind) => {
    expect(friendlyDeviceName(ua)).toEqual({ name, kind });
  });

  it("keeps fallback names short", () => {
    expect(friendlyDeviceName("x".repeat(200)).name).toHaveLength(32);
  });

  it("never lets control characters into a name", () => {
    for (const ua of ["Yealink SIP-\u001bT46S", "snom\u0007D785", "Gigaset \u009bN670"]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
      expect(friendlyDeviceName(ua).name).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
  });
});

function device(
  index: number,
  userAgent: string,
  extra: Partial<DeviceRegistration> = {},
): DeviceRegistration {
  return {
    id: String(index),
    ...friendlyDeviceName(userAgent),
    contact: `sip:100@192.168.178.${20 + index}:5062;rinstance=r${index}`,
    sourceAddress: `192.168.178.${20 + index}:5062`,
    userAgent,
    ...extra,
  };
}

const yealink = device(1, "Yealink SIP-T46S 66.86.0.15");
const windowsApp = device(2, "3CX Desktop App for Windows 18.12.416");
const androidApp = device(3, "3CX Android 18.5.3");
const webClient = device(4, "3CX Web Client");
const snom = device(5, "snom D785/10.1.73.16");

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("selectDevice without a selector", () => {
  it("throws NoDeviceError when nothing is registered, with or without a selector", () => {
    expect(() => selectDevice([])).toThrow(NoDeviceError);
    const error = errorOf(() => selectDevice([], "yealink"));
    expect(error).toBeInstanceOf(NoDeviceError);
    expect(error.message).toMatch(/start your desk phone or 3CX app/);
  });

  it("picks the only device, whatever its kind", () => {
    expect(selectDevice([windowsApp])).toBe(windowsApp);
    expect(selectDevice([webClient], "  ")).toBe(webClient);
  });

  it("picks the only desk phone among apps", () => {
    expect(selectDevice([windowsApp, yealink])).toBe(yealink);
    expect(selectDevice([webClient, androidApp, yealink, windowsApp])).toBe(yealink);
  });

  it("ignores door stations and unknown devices when looking for the desk phone", () => {
    const door = device(6, "Akuvox R20A 20.0.1.49");
    expect(selectDevice([door, yealink])).toBe(yealink);
  });

  it("asks for --device when there are two desk phones", () => {
    const error = errorOf(() => selectDevice([yealink, snom, windowsApp]));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toContain(
      "pass --device, one of: 1 Yealink T46S, 2 Snom D785, 3 3CX app (Windows)",
    );
  });

  it("asks for --device when there are only apps", () => {
    const error = errorOf(() => selectDevice([windowsApp, androidApp]));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toContain(
      "pass --device, one of: 1 3CX app (Windows), 2 3CX app (Android)",
    );
  });
});

describe("selectDevice with a selector", () => {
  const devices = [yealink, windowsApp, androidApp, webClient];

  it.each([
    ["Yealink T46S", yealink],
    ["yealink t46s", yealink],
    ["  YEALINK   T46S ", yealink],
    ["yealink", yealink],
    ["T46S", yealink],
    ["t46", yealink],
    ["windows", windowsApp],
    ["3CX app (Android)", androidApp],
    ["web", webClient],
    ["client", webClient],
  ])("by name %j", (selector, expected) => {
    expect(selectDevice(devices, selector)).toBe(expected);
  });

  it("by 1-based index", () => {
    expect(selectDevice(devices, "1")).toBe(yealink);
    expect(selectDevice(devices, "4")).toBe(webClient);
    expect(selectDevice(devices, " 2 ")).toBe(windowsApp);
  });

  it("by exact contact URI", () => {
    expect(selectDevice(devices, androidApp.contact)).toBe(androidApp);
  });

  it("prefers an exact name over a prefix of another", () => {
    const acme = device(7, "Acme");
    const acme2 = device(8, "Acme2");
    expect(selectDevice([acme2, acme], "acme")).toBe(acme);
  });

  it("prefers a unique prefix over substring matches", () => {
    // "s" starts only "Snom D785" but occurs in "Yealink T46S" too.
    expect(selectDevice([yealink, snom], "s")).toBe(snom);
    // "x" occurs in both and starts neither.
    const grandstream = device(9, "Grandstream GXP2170 1.0.11.3");
    const fanvil = device(10, "Fanvil X6U 2.12.1");
    expect(() => selectDevice([grandstream, fanvil], "x")).toThrow(/matches 2 devices/);
  });

  it("reports an ambiguous name with the matching choices and the fix", () => {
    const error = errorOf(() => selectDevice(devices, "3cx"));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toBe(
      'The device "3cx" matches 2 devices: pass --device with the number, one of: 2 3CX app (Windows), 3 3CX app (Android).',
    );
  });

  it("tells identically named devices apart by index and contact", () => {
    const deskA = device(1, "Yealink SIP-T46S 66.86.0.15");
    const deskB = device(2, "Yealink SIP-T46S 66.86.0.15");
    const error = errorOf(() => selectDevice([deskA, deskB], "yealink t46s"));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toContain(`1 Yealink T46S (${deskA.contact})`);
    expect(error.message).toContain(`2 Yealink T46S (${deskB.contact})`);
    expect(selectDevice([deskA, deskB], "2")).toBe(deskB);
    expect(selectDevice([deskA, deskB], deskA.contact)).toBe(deskA);
    // No selector: two desk phones, so the user must choose.
    expect(() => selectDevice([deskA, deskB])).toThrow(/pass --device, one of: 1 Yealink T46S \(/);
  });

  it("reports a selector that matches nothing, naming it and the choices", () => {
    const error = errorOf(() => selectDevice(devices, "cisco"));
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error.message).toBe(
      'No registered device matches "cisco": pass --device, one of: 1 Yealink T46S, 2 3CX app (Windows), 3 3CX app (Android), 4 Web client.',
    );
    expect((error as DeviceNotFoundError).exitCode).toBe(4);
  });

  it("treats digits as an index only, and reports one out of range", () => {
    const t54 = device(1, "Yealink SIP-T54W 96.86.0.100");
    for (const selector of ["0", "5", "54"]) {
      const error = errorOf(() => selectDevice([t54, windowsApp], selector));
      expect(error).toBeInstanceOf(DeviceNotFoundError);
      expect(error.message).toBe(
        `There is no device ${selector} (2 registered): pass --device, one of: 1 Yealink T54W, 2 3CX app (Windows).`,
      );
    }
  });

  it("does not match a contact loosely", () => {
    expect(() => selectDevice(devices, "sip:100@192.168.178.21")).toThrow(DeviceNotFoundError);
  });

  it("escapes control characters from the selector in the message", () => {
    const error = errorOf(() => selectDevice(devices, "evil\u001b[2J"));
    expect(error.message).toContain('"evil\\u{1b}[2J"');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
    expect(error.message).not.toMatch(/\u001b/);
  });
});

describe("formatDeviceList", () => {
  const now = new Date("2024-05-17T12:00:00Z");
  const options = { timeZone: "UTC", now };

  it("aligns the columns and shows the expiry time", () => {
    const desk = {
      ...yealink,
      contact: "sip:100@192.168.178.20:5062;rinstance=a1",
      sourceAddress: "192.168.178.20:5062",
      expiresAt: new Date("2024-05-17T14:32:09Z"),
    };
    const app = {
      ...windowsApp,
      contact: "sip:100@10.0.0.5:49152",
      sourceAddress: "10.0.0.5:49152",
      expiresAt: new Date("2024-05-17T12:05:00Z"),
    };
    expect(formatDeviceList([desk, app], options)).toEqual([
      " 1  Yealink T46S       sip:100@192.168.178.20:5062;rinstance=a1  192.168.178.20:5062  expires 14:32",
      " 2  3CX app (Windows)  sip:100@10.0.0.5:49152                    10.0.0.5:49152       expires 12:05",
    ]);
  });

  it("shows the expiry in the given zone, with its date when that is not today", () => {
    const d = { ...yealink, expiresAt: new Date("2024-05-17T22:30:00Z") };
    expect(formatDeviceList([d], { timeZone: "Europe/Berlin", now })[0]).toMatch(
      /expires 2024-05-18 00:30$/,
    );
    expect(formatDeviceList([d], { timeZone: "America/New_York", now })[0]).toMatch(
      /expires 18:30$/,
    );
  });

  it("keeps duplicates apart by index and contact, and leaves missing cells blank", () => {
    const a: DeviceRegistration = {
      id: "1",
      name: "Unknown device",
      kind: "unknown",
      contact: "sip:100@a",
    };
    const b: DeviceRegistration = { ...a, id: "2", contact: "sip:100@b" };
    expect(formatDeviceList([a, b], options)).toEqual([
      " 1  Unknown device  sip:100@a",
      " 2  Unknown device  sip:100@b",
    ]);
  });

  it("widens the index column past nine devices", () => {
    const many = Array.from({ length: 10 }, (_, i) => device(i, "MicroSIP/3.21.3"));
    const lines = formatDeviceList(many, options);
    expect(lines[0]).toMatch(/^ 1 {2}MicroSIP/);
    expect(lines[9]).toMatch(/^10 {2}MicroSIP/);
  });

  it("escapes control characters in PBX-supplied text", () => {
    const d = { ...yealink, contact: "sip:100@h\u001b]0;pwned\u0007", sourceAddress: "h\u009b:1" };
    const [line] = formatDeviceList([d], options);
    expect(line).toContain("sip:100@h\\u{1b}]0;pwned\\u{7}");
    expect(line).toContain("h\\u{9b}:1");
  });

  it("returns no lines for no devices", () => {
    expect(formatDeviceList([])).toEqual([]);
  });
});
