// `POST /MyPhone/MPWebService.asmx` (reference §2 row 4, §6, §7, §8): one GenericMessage in, one
// out, on a live MyPhone session. Each handled id answers an Ack or its typed answer; pushes go
// to the websockets through the Pbx. Unknown ids are refused with NoSuchRequest, never ignored.
import { isFieldSet } from "@bufbuild/protobuf";
import { type DecodedMessage, decodeMessage, isMessage } from "../protocol/codec.js";
import {
  ErrorCodes,
  RequestChangeStatusSchema,
  RequestLookupContactSchema,
} from "../protocol/gen/myphone_pb.js";
import { type Router, type SimRequest, type SimResponse, text } from "./http.js";
import type { MyPhoneSession } from "./model.js";
import type { Pbx } from "./pbx.js";
import { searchDirectory } from "./phonebook.js";
import { ackFailure, ackSuccess, callHistory, lookupResult, type Refusal } from "./replies.js";

export const MPWEBSERVICE_PATH = "/MyPhone/MPWebService.asmx";

/**
 * Answer to a missing, unknown or expired session. Only the substring `Login is required` is
 * reported (§2 "MyPhone session lifetime"); 401 follows EasyIsland's reading [?].
 */
export const LOGIN_REQUIRED_TEXT = "Login is required";

type MessageHandler = (pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage) => Uint8Array;

/** Ids the seed (and other clients) send at start-up whose meaning is unknown: plain success. */
const ACKNOWLEDGED_IDS = [100, 122, 128, 131, 165, 500];

const handlers = new Map<number, MessageHandler>([
  ...ACKNOWLEDGED_IDS.map((id): [number, MessageHandler] => [id, () => ackSuccess()]),
  [102, requestMyInfo],
  [103, changeStatus],
  [104, lookupContact],
  [106, requestCallHistory],
  [115, dropCall],
  [119, makeCall],
  [125, resetMissedCalls],
  [152, autoAnswer],
]);

export function addMyPhoneRoutes(router: Router, pbx: Pbx): void {
  router.add("POST", MPWEBSERVICE_PATH, (request) => handleMyPhoneRequest(pbx, request));
}

function handleMyPhoneRequest(pbx: Pbx, request: SimRequest): SimResponse {
  let decoded: DecodedMessage | undefined;
  let decodeError: string | undefined;
  try {
    decoded = decodeMessage(request.body);
  } catch (error) {
    decodeError = error instanceof Error ? error.message : String(error);
  }
  const messageId = decoded?.id;
  const sessionHeader = request.headers.myphonesession;
  const key = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
  const session = pbx.useSession(key);
  if (!session) return { ...text(401, LOGIN_REQUIRED_TEXT), ...idFor(messageId) };
  if (!decoded) return text(400, `Bad Request: not a GenericMessage (${decodeError})`);
  const refused = pbx.faults.refuseMessages?.includes(decoded.id);
  const handler = (refused ? undefined : handlers.get(decoded.id)) ?? noSuchRequest;
  return {
    status: 200,
    headers: { "content-type": "application/octet-stream" },
    body: handler(pbx, session, decoded),
    messageId: decoded.id,
  };
}

function idFor(messageId: number | undefined): { messageId?: number } {
  return messageId === undefined ? {} : { messageId };
}

function reply(refusal: Refusal | undefined): Uint8Array {
  return refusal ? ackFailure(refusal) : ackSuccess();
}

function noSuchRequest(_pbx: Pbx, _session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  // The real wording is unknown [?]; the error type is 3CX's own NoSuchRequest.
  return ackFailure({
    errorType: ErrorCodes.NO_SUCH_REQUEST,
    message: `No such request: ${decoded.id}`,
  });
}

/** The Ack answers the POST; the full MyInfo goes to this session's open websockets (§5). */
function requestMyInfo(pbx: Pbx, session: MyPhoneSession): Uint8Array {
  pbx.pushToSession(session, pbx.fullMyInfo(session.extension));
  return ackSuccess();
}

function changeStatus(pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  if (!isMessage(decoded, 103)) return noSuchRequest(pbx, session, decoded);
  const m = decoded.message;
  const fields = RequestChangeStatusSchema.field;
  return reply(
    pbx.changeStatus(session.extension, {
      profileId: isFieldSet(m, fields.profileId) ? m.profileId : undefined,
      queueStatus: isFieldSet(m, fields.queueStatus) ? m.queueStatus : undefined,
    }),
  );
}

function lookupContact(pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  if (!isMessage(decoded, 104)) return noSuchRequest(pbx, session, decoded);
  const m = decoded.message;
  const entries = searchDirectory(pbx.scenario, pbx.extensions, session.extension, {
    input: m.input,
    offset: m.offset,
    count: m.count,
    // Colleagues are included unless ExtIncluded is explicitly false [?].
    includeExtensions:
      !isFieldSet(m, RequestLookupContactSchema.field.extIncluded) || m.extIncluded,
    sortBy: m.sortBy,
  });
  return lookupResult(entries);
}

function requestCallHistory(
  pbx: Pbx,
  session: MyPhoneSession,
  decoded: DecodedMessage,
): Uint8Array {
  if (!isMessage(decoded, 106)) return noSuchRequest(pbx, session, decoded);
  const m = decoded.message;
  // CallType 1: missed calls only [R].
  const history = session.extension.history;
  const all = m.callType === 1 ? history.filter((entry) => entry.kind === "missed") : history;
  const start = Math.max(0, m.recordOffset);
  const page = m.recordLimit > 0 ? all.slice(start, start + m.recordLimit) : all.slice(start);
  return callHistory(page);
}

function dropCall(pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  if (!isMessage(decoded, 115)) return noSuchRequest(pbx, session, decoded);
  return reply(pbx.dropCall(session.extension, decoded.message.localConnectionId));
}

function makeCall(pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  if (!isMessage(decoded, 119)) return noSuchRequest(pbx, session, decoded);
  const m = decoded.message;
  // An empty field 3 counts as absent, like an absent one.
  const { refusal } = pbx.makeCall(
    session.extension,
    m.destination || undefined,
    m.deviceId || undefined,
  );
  return reply(refusal);
}

function resetMissedCalls(_pbx: Pbx, session: MyPhoneSession): Uint8Array {
  session.extension.missedCallsCount = 0;
  return ackSuccess();
}

function autoAnswer(pbx: Pbx, session: MyPhoneSession, decoded: DecodedMessage): Uint8Array {
  if (!isMessage(decoded, 152)) return noSuchRequest(pbx, session, decoded);
  return reply(pbx.autoAnswer(session.extension, decoded.message.connectionId));
}
