// The simulator's scenario: which extensions, devices and phone-book contacts the fake PBX holds.
// Owns the JSON schema (zod), the built-in default scenario and the file loader.
import { readFile } from "node:fs/promises";
import { Secret } from "otpauth";
import { z } from "zod";
import { ConfigError } from "../errors.js";

const nonEmpty = z.string().trim().min(1);

/** Digits, `*`, `#` and an optional leading `+`, like a number the PBX can dial. */
const phoneNumber = z
  .string()
  .trim()
  .min(1)
  .regex(/^\+?[0-9*#() ./-]+$/, "must be a phone number (digits, spaces, + * # ( ) . / -)");

const base32Secret = z
  .string()
  .regex(/^[A-Za-z2-7]{16,}=*$/, "must be a base32 TOTP secret of at least 16 characters")
  .refine((value) => decodesToTotpKey(value), { message: "must decode to at least 10 bytes" });

function decodesToTotpKey(value: string): boolean {
  try {
    return Secret.fromBase32(value.toUpperCase()).bytes.length >= 10;
  } catch {
    return false; // the regex above reports the problem
  }
}

const DeviceSchema = z.strictObject({
  /** The SIP contact URI; clients copy it verbatim into MakeCall field 3. */
  contact: nonEmpty.regex(/^sips?:/, 'must be a SIP URI starting with "sip:"'),
  userAgent: nonEmpty,
  /** `ip:port` the device registered from. */
  sourceAddress: nonEmpty,
});

const ExtensionSchema = z.strictObject({
  number: z.string().regex(/^[0-9]{2,8}$/, "must be 2 to 8 digits"),
  password: z.string().min(1),
  firstName: nonEmpty,
  lastName: z.string().trim().default(""),
  email: z.email().optional(),
  /** Enables 2FA: GetAccessToken then needs a TOTP `SecurityCode` from this secret. */
  totpSecret: base32Secret.optional(),
  devices: z.array(DeviceSchema).default([]),
});

const ContactSchema = z
  .strictObject({
    firstName: z.string().trim().optional(),
    lastName: z.string().trim().optional(),
    company: z.string().trim().optional(),
    mobile: phoneNumber.optional(),
    business: phoneNumber.optional(),
    home: phoneNumber.optional(),
    email: z.email().optional(),
  })
  .refine((c) => Boolean(c.firstName || c.lastName || c.company), {
    message: "a contact needs a firstName, lastName or company",
  })
  .refine((c) => Boolean(c.mobile || c.business || c.home), {
    message: "a contact needs at least one of mobile, business, home",
  });

/**
 * A Call Control API client (reference §10 "Setup"): its Client ID, the API key shown once, and
 * the extensions it may monitor and control. Any other extension answers 403.
 */
const ApiClientSchema = z.strictObject({
  clientId: nonEmpty,
  apiKey: z.string().min(1),
  monitor: z.array(z.string().regex(/^[0-9]{2,8}$/, "must be 2 to 8 digits")).default([]),
});

/**
 * A call already in an extension's history when the simulator starts (and after a reset):
 * `kind` from the extension's side, the other party's number exactly as the PBX would show it (an
 * `anonymous` caller too), its name, and when: `at` (ISO time) or `minutesAgo` (default 0).
 */
const HistorySchema = z
  .strictObject({
    extension: z.string().regex(/^[0-9]{2,8}$/, "must be 2 to 8 digits"),
    kind: z.enum(["outgoing", "received", "missed"]),
    number: z.string().max(128),
    name: z.string().trim().min(1).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    minutesAgo: z.number().min(0).default(0),
    /** Talk time of an answered call. */
    durationSeconds: z.number().int().min(0).default(60),
  })
  .refine((h) => !(h.at !== undefined && h.minutesAgo !== 0), {
    message: "give either at or minutesAgo",
  });

export const ScenarioSchema = z
  .strictObject({
    extensions: z.array(ExtensionSchema).min(1, "at least one extension is needed"),
    contacts: z.array(ContactSchema).default([]),
    /** Call Control API clients (reference §10); V20 only. */
    apiClients: z.array(ApiClientSchema).optional(),
    /** false: a licence without the Call Control API (every /callcontrol request gets 403) [?]. */
    callControlLicensed: z.boolean().optional(),
    /** Queue DNs, listed by `GET /callcontrol` as `Wqueue` beside the extensions (§10). */
    queues: z.array(z.string().regex(/^[0-9]{2,8}$/, "must be 2 to 8 digits")).optional(),
    /**
     * How a Call Control makecall to a refused destination answers: "error" (422 with
     * `reasontext`, the default) or "emptyResult" (200 with `reasontext` and no `result`, which
     * 3CX's samples treat as a failure: reference §10 "makecall result").
     */
    makeCallRefusedAs: z.enum(["error", "emptyResult"]).optional(),
    /** Calls already in the extensions' history (RequestCallHistory 106 → 204). */
    history: z.array(HistorySchema).optional(),
  })
  .superRefine((scenario, ctx) => {
    checkApiClients(scenario, ctx);
    const numbers = new Set(scenario.extensions.map((ext) => ext.number));
    scenario.history?.forEach((entry, index) => {
      if (numbers.has(entry.extension)) return;
      ctx.addIssue({
        code: "custom",
        path: ["history", index, "extension"],
        message: `${entry.extension} is not an extension of the scenario`,
      });
    });
    const seenNumbers = new Set<string>();
    const seenEmails = new Set<string>();
    scenario.extensions.forEach((ext, index) => {
      if (seenNumbers.has(ext.number)) {
        ctx.addIssue({
          code: "custom",
          path: ["extensions", index, "number"],
          message: `duplicate extension ${ext.number}`,
        });
      }
      seenNumbers.add(ext.number);
      const email = ext.email?.toLowerCase();
      if (email && seenEmails.has(email)) {
        ctx.addIssue({
          code: "custom",
          path: ["extensions", index, "email"],
          message: `duplicate e-mail ${ext.email}`,
        });
      }
      if (email) seenEmails.add(email);
    });
  });

function checkApiClients(
  scenario: {
    extensions: { number: string }[];
    apiClients?: { clientId: string; monitor: string[] }[];
  },
  ctx: z.RefinementCtx,
): void {
  const numbers = new Set(scenario.extensions.map((ext) => ext.number));
  const seenIds = new Set<string>();
  scenario.apiClients?.forEach((client, index) => {
    if (seenIds.has(client.clientId)) {
      ctx.addIssue({
        code: "custom",
        path: ["apiClients", index, "clientId"],
        message: `duplicate clientId ${client.clientId}`,
      });
    }
    seenIds.add(client.clientId);
    client.monitor.forEach((dn, dnIndex) => {
      if (numbers.has(dn)) return;
      ctx.addIssue({
        code: "custom",
        path: ["apiClients", index, "monitor", dnIndex],
        message: `${dn} is not an extension of the scenario`,
      });
    });
  });
}

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioApiClient = NonNullable<Scenario["apiClients"]>[number];
export type ScenarioExtension = Scenario["extensions"][number];
export type ScenarioDevice = ScenarioExtension["devices"][number];
export type ScenarioContact = Scenario["contacts"][number];

/** Validates an already-parsed value; the error names the first problem. */
export function parseScenario(value: unknown, source = "scenario"): Scenario {
  const result = ScenarioSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ConfigError(`Invalid scenario ${source}: ${where}${issue?.message ?? "invalid"}`);
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Cannot read scenario file ${path}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Invalid scenario file ${path}: not JSON (${reason})`);
  }
  return parseScenario(json, `file ${path}`);
}

/** The password of extension 100 in the default scenario (printed in the ready line). */
export const DEFAULT_DEMO_PASSWORD = "dial3cx-demo";

/** TOTP secret of extension 102 in the default scenario (base32, SHA-1, 6 digits, 30 s). */
export const DEFAULT_TOTP_SECRET = "DIAL3CXSIMULATORTWOFACTORDEMO234";

/**
 * The built-in scenario. Extension 100's desk-phone contact is exactly 40 bytes, which the seed
 * script's MyInfo parser needs (reference §9.2). The app user agents are our guesses [?].
 */
export const defaultScenario: Scenario = parseScenario(
  {
    extensions: [
      {
        number: "100",
        password: DEFAULT_DEMO_PASSWORD,
        firstName: "Erika",
        lastName: "Mustermann",
        email: "erika.mustermann@example.com",
        devices: [
          {
            contact: "sip:100@192.168.178.20:5062;rinstance=a1",
            userAgent: "Yealink SIP-T46S",
            sourceAddress: "192.168.178.20:5062",
          },
          {
            contact: "sip:100@192.168.178.34:51470;rinstance=7c1e2f9a4b3d5e60",
            userAgent: "3CX Desktop App for Windows 20.0.1",
            sourceAddress: "192.168.178.34:51470",
          },
        ],
      },
      {
        number: "101",
        password: "dial3cx-101",
        firstName: "Max",
        lastName: "Mustermann",
        email: "max.mustermann@example.com",
        devices: [
          {
            contact: "sip:101@192.168.178.21:5062;rinstance=b2",
            userAgent: "snom D785 10.1.159.12",
            sourceAddress: "192.168.178.21:5062",
          },
        ],
      },
      {
        number: "102",
        password: "dial3cx-2fa",
        firstName: "Lena",
        lastName: "Schulz",
        email: "lena.schulz@example.com",
        totpSecret: DEFAULT_TOTP_SECRET,
        devices: [
          {
            contact: "sip:102@10.8.0.14:41822;rinstance=e4d1a7c9;transport=tcp",
            userAgent: "3CX Android 20.0.6",
            sourceAddress: "10.8.0.14:41822",
          },
        ],
      },
    ],
    queues: ["800"],
    contacts: [
      {
        firstName: "Ada",
        lastName: "Lovelace",
        company: "Analytical Engines Ltd",
        business: "+49 30 123456",
        email: "ada@analytical-engines.example",
      },
      {
        firstName: "Jürgen",
        lastName: "Müller",
        company: "Müller Bau GmbH",
        business: "089 1234567",
        mobile: "0171 2345678",
      },
      {
        firstName: "Charles",
        lastName: "Babbage",
        company: "Difference Engine Works",
        business: "+44 20 7946 0958",
        mobile: "+44 7700 900123",
      },
      {
        firstName: "Grace",
        lastName: "Hopper",
        company: "COBOL Consulting",
        mobile: "+1 212 555 0147",
      },
      {
        firstName: "Marie",
        lastName: "Curie",
        company: "Institut du Radium",
        business: "+33 1 23 45 67 89",
      },
      { firstName: "Zoë", lastName: "Brandt", home: "040 9876543" },
      {
        firstName: "Linus",
        lastName: "Meier",
        company: "Zürich Software AG",
        business: "+41 44 668 18 00",
      },
      { firstName: "Anna", lastName: "Schmidt", home: "030 98765432", mobile: "0152 12345678" },
      { company: "Pizzeria Napoli", business: "+39 06 1234 5678" },
      {
        firstName: "Johann",
        lastName: "Strauss",
        company: "Wiener Walzer GmbH",
        business: "+43 1 234 5678",
      },
    ],
  },
  "(built-in default)",
);
