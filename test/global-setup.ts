// Rebuilds the CLI bundle before the suite, so tests that run bin/dial3cx.js see current code.
import { bundleCli } from "../scripts/bundle-cli.mjs";

export default async function setup(): Promise<void> {
  await bundleCli();
}
