// Rebuilds the CLI bundle and the dialer page before the suite, so tests that run
// bin/dial3cx.js or load the page see current code.
import { bundleCli } from "../scripts/bundle-cli.mjs";
import { bundleWeb } from "../scripts/bundle-web.mjs";

export default async function setup(): Promise<void> {
  await bundleCli();
  await bundleWeb();
}
