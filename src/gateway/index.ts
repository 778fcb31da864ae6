// Public surface of the local gateway (`dial3cx serve`): start it, and the pieces the CLI needs
// to describe it (accounts, tokens, listen rules).

export type { DeviceView } from "../features/calls/devices.js";
export {
  ensureTokens,
  ensureWebhookSecret,
  readTokens,
  TOKENS_FILE_NAME,
  tokensFile,
  WEBHOOK_SECRET_FILE_NAME,
  webhookSecretFile,
} from "../features/settings/gateway-tokens.js";
export {
  type AccountSpec,
  accountFromSettings,
  readAccountsFile,
  type ServedAccount,
} from "./accounts.js";
export { createApi, type GatewayEnv, STATUS_BY_CODE } from "./api/index.js";
export {
  type CallView,
  EVENT_TYPES,
  type GatewayEvent,
  type GatewayEventType,
} from "./events.js";
export {
  BODY_LIMIT_BYTES,
  checkListenSecurity,
  DEFAULT_LISTEN,
  DEFAULT_RATE_LIMIT,
  isLoopbackHost,
  parseListen,
  type RateLimit,
} from "./security.js";
export { type Gateway, type GatewayOptions, SOCKET_FILE_NAME, startGateway } from "./server.js";
export { SIGNATURE_HEADER, signBody } from "./webhooks.js";
