// Loader hook of module-footprint.mjs: one JSON line per file: URL the CLI loads.
import { appendFileSync } from "node:fs";

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:")) {
    appendFileSync(process.env.DIAL3CX_TEST_FOOTPRINT, `${JSON.stringify({ file: url })}\n`);
  }
  return nextLoad(url, context);
}
