// Rebuilds the CLI bundle, the dialer page and the browser extension before the suite, so tests
// that run bin/dial3cx.js or load the page or the extension see current code.
import { bundleCli } from "../scripts/bundle-cli.mjs";
import { bundleExtension } from "../scripts/bundle-extension.mjs";
import { bundleWeb } from "../scripts/bundle-web.mjs";

export default async function setup(): Promise<void> {
  await bundleCli();
  await bundleWeb();
  await bundleExtension();
}
