// A warm call on a resumed MyPhone session, without the driver: one POST of RequestMakeCall and
// its Ack, judged exactly as WebClientDriver.makeCall judges them (same headers, same expired-
// session test, same errors). Only a plain success Ack is read without the generated codec; any
// other answer loads the codec and gets the driver's own verdict. An expired session is returned,
// not thrown: nothing was done, so the caller may go the long way (log in, then send).
import type { PbxHttp } from "../http.js";
import {
  assertMyPhoneStatus,
  encodeMakeCall,
  isSessionExpired,
  MYPHONE_PATH,
  myPhoneHeaders,
  readAckSuccess,
} from "./myphone-wire.js";

export async function postMakeCall(
  http: PbxHttp,
  sessionKey: string,
  destination: string,
  deviceId: string | undefined,
): Promise<"placed" | "session-expired"> {
  const response = await http.request("POST", MYPHONE_PATH, {
    headers: myPhoneHeaders(sessionKey),
    body: encodeMakeCall(destination, deviceId),
  });
  if (isSessionExpired(response.status, response.body)) return "session-expired";
  assertMyPhoneStatus(response.status);
  if (readAckSuccess(response.body) === true) return "placed";
  const [{ decodeMessage }, { assertAcknowledged }] = await Promise.all([
    import("../../protocol/codec.js"),
    import("./myphone-api.js"),
  ]);
  assertAcknowledged(decodeMessage(response.body), `the call to ${destination}`);
  return "placed";
}
