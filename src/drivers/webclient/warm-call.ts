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
  const what = `the call to ${destination}`;
  try {
    const response = await http.request("POST", MYPHONE_PATH, {
      headers: myPhoneHeaders(sessionKey),
      body: encodeMakeCall(destination, deviceId),
    });
    if (isSessionExpired(response.status, response.body)) return "session-expired";
    assertMyPhoneStatus(response.status);
    if (readAckSuccess(response.body) === true) return "placed";
    const [{ decodeMessage, isMessage }, { assertAcknowledged }, { UnreadableAnswer }] =
      await Promise.all([
        import("../../protocol/codec.js"),
        import("./myphone-api.js"),
        import("../outcome.js"),
      ]);
    const answer = decodeMessage(response.body);
    if (!isMessage(answer, 207)) {
      throw new UnreadableAnswer(`The PBX answered MakeCall with message ${answer.id}.`);
    }
    assertAcknowledged(answer, what);
    return "placed";
  } catch (error) {
    // Sent, but no (readable) answer: it may have been placed, as in WebClientDriver.makeCall.
    const { callOutcome } = await import("../outcome.js");
    throw callOutcome(error, what);
  }
}
