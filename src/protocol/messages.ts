// The MyPhone message-id table: which payload type travels under which GenericMessage id.
// Derived from GenericMessage in proto/myphone.proto, so the schema stays the single source.
import type { DescMessage } from "@bufbuild/protobuf";
import {
  GenericMessageSchema,
  type GetSystemParameters,
  type Login,
  type LoginInfo,
  type MyExtensionInfo,
  type RequestAutoAnswerConnection,
  type RequestCallHistory,
  type RequestChangeStatus,
  type RequestDropCall,
  type RequestLookupContact,
  type RequestMakeCall,
  type RequestMyInfo,
  type RequestResetMyMissedCalls,
  type ResponseAcknowledge,
  type ResponseCallHistory,
  type ResponseLookupContact,
  type ServerTimeRequest,
} from "./gen/myphone_pb.js";

/** Message ids with a modelled payload (reference §7). */
export const MessageId = {
  Login: 100,
  RequestMyInfo: 102,
  RequestChangeStatus: 103,
  RequestLookupContact: 104,
  RequestCallHistory: 106,
  RequestDropCall: 115,
  RequestMakeCall: 119,
  GetSystemParameters: 122,
  RequestResetMyMissedCalls: 125,
  ServerTimeRequest: 131,
  RequestAutoAnswerConnection: 152,
  LoginInfo: 200,
  MyExtensionInfo: 201,
  ResponseLookupContact: 202,
  ResponseCallHistory: 204,
  ResponseAcknowledge: 207,
} as const;

/** Payload type per id, for typed decoding and encoding. */
export interface MessageTypes {
  100: Login;
  102: RequestMyInfo;
  103: RequestChangeStatus;
  104: RequestLookupContact;
  106: RequestCallHistory;
  115: RequestDropCall;
  119: RequestMakeCall;
  122: GetSystemParameters;
  125: RequestResetMyMissedCalls;
  131: ServerTimeRequest;
  152: RequestAutoAnswerConnection;
  200: LoginInfo;
  201: MyExtensionInfo;
  202: ResponseLookupContact;
  204: ResponseCallHistory;
  207: ResponseAcknowledge;
}

export type KnownMessageId = keyof MessageTypes;

/** Payload schema per id, read off GenericMessage's fields (field number = message id). */
export const payloadSchemas: ReadonlyMap<number, DescMessage> = new Map(
  GenericMessageSchema.fields.flatMap((field) =>
    field.fieldKind === "message" ? [[field.number, field.message] as const] : [],
  ),
);

export function isKnownMessageId(id: number): id is KnownMessageId {
  return payloadSchemas.has(id);
}
