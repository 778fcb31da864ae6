// zod/mini and zod's English messages, for config.ts's schema, loaded only when a config file
// needs it. A module of its own so that the CLI's warm-click bundle (scripts/bundle-cli.mjs)
// imports it from the full build instead of carrying zod.
export { z } from "zod/mini";
export { default as englishLocale } from "zod/v4/locales/en.js";
