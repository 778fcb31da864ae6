// untrustedCertificate against servers that are not what the URL says: a plain-HTTP PBX typed
// without a scheme (so taken as https) must be named as such, not as a network failure.
import { afterEach, describe, expect, it } from "vitest";
import { TlsError } from "../../errors.js";
import { type Simulator, startSimulator } from "../../sim/index.js";
import { untrustedCertificate } from "./certificate.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe("untrustedCertificate", () => {
  it("says a plain-HTTP port does not speak https, and how to reach it", async () => {
    sim = await startSimulator({ port: 0 });
    const { host } = new URL(sim.url);
    const error = await untrustedCertificate(new URL(`https://${host}`), 3000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toBe(
      `${host} does not speak https: check the URL (for a plain-http PBX on this machine, use http://${host}).`,
    );
  });
});
