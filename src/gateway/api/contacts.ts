// The gateway API's contacts route: search the configured vCard directories and the PBX phone
// book (GET /v1/contacts), the PBX asked the way the CLI asks it.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { foldingPhoneBook } from "../../features/contacts/contact-names.js";
import {
  loadAllContacts,
  numberId,
  type PhoneBookLookup,
  searchContacts,
} from "../../features/contacts/index.js";
import { displayText, displayTextOf } from "../../features/display-text.js";
import type { ServedAccount } from "../accounts.js";
import { actingAccount, type GatewayEnv } from "./context.js";
import {
  BEARER,
  COMMON_ERRORS,
  ContactMatchSchema,
  ContactsQuery,
  errorResponses,
} from "./schemas.js";

const contactsRoute = createRoute({
  method: "get",
  path: "/v1/contacts",
  summary: "Search the configured vCard directories and the PBX phone book",
  security: BEARER,
  request: { query: ContactsQuery },
  responses: {
    200: {
      description:
        "One entry per (contact, number), best first. `warnings` names sources that could not be read.",
      content: {
        "application/json": {
          schema: z.object({
            contacts: z.array(ContactMatchSchema),
            warnings: z.array(z.string()),
          }),
        },
      },
    },
    ...errorResponses(...COMMON_ERRORS, 400),
  },
});

export function addContactRoutes(app: OpenAPIHono<GatewayEnv>): void {
  app.openapi(contactsRoute, async (c) => {
    const query = c.req.valid("query");
    const account = actingAccount(c, query.extension);
    const all = await loadAllContacts({
      vcardDirs: account.settings.contacts,
      pbx: foldingPhoneBookOf(account),
      query: query.q,
    });
    const matches = searchContacts(all.contacts, query.q, { limit: query.limit });
    const contacts = matches.map((m) => ({
      // One id per number: a contact with three numbers is three entries.
      id: numberId(m.contact, m.number),
      name: displayText(m.contact.name),
      organization: displayTextOf(m.contact.organization ?? null),
      number: m.number.value,
      numberType: m.number.type,
      // "vcard:<path>" would show the server's file layout to every token holder.
      source: m.contact.source === "pbx" ? ("pbx" as const) : ("vcard" as const),
      match: m.match,
    }));
    return c.json({ contacts, warnings: all.warnings }, 200);
  });
}

/**
 * The account's PBX phone book, asked the way the CLI asks it (foldingPhoneBook): the PBX does
 * not fold diacritics itself, so `q=muller` must search its whole book to find Müller.
 */
export function foldingPhoneBookOf(account: ServedAccount): PhoneBookLookup | undefined {
  for (const candidate of [account.client, account.client.driver] as unknown[]) {
    if (typeof (candidate as Partial<PhoneBookLookup>).lookupContacts === "function") {
      return foldingPhoneBook(candidate as PhoneBookLookup);
    }
  }
  return undefined;
}
