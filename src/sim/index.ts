// Public entry of the PBX simulator (`dial3cx/sim`): start it in-process, load scenarios.

export { type LoginFailureMode, REFRESH_COOKIE, V18_SESSION_COOKIE } from "./auth-routes.js";
export { CALLCONTROL_PREFIX } from "./callcontrol-routes.js";
export { CALLCONTROL_WS_PATH } from "./callcontrol-socket.js";
export type { RequestLogEntry } from "./model.js";
export { LOGIN_REQUIRED_TEXT, MPWEBSERVICE_PATH } from "./myphone-routes.js";
export {
  DEFAULT_DEMO_PASSWORD,
  DEFAULT_TOTP_SECRET,
  defaultScenario,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  type ScenarioApiClient,
  type ScenarioContact,
  type ScenarioDevice,
  type ScenarioExtension,
  ScenarioSchema,
} from "./scenario.js";
export { type Simulator, type SimulatorOptions, startSimulator } from "./server.js";
export { WEBSOCKET_PATH } from "./websocket.js";
