// The doctor's fix for a refused password names where the password came from: `dial3cx login`
// only helps when the keyring held it. Against the simulator, one login per run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEMO_PASSWORD, type Simulator, startSimulator } from "../../sim/index.js";
import { accountName } from "../calls/account.js";
import { resolveSettings } from "../settings/config.js";
import { memoryStore } from "../settings/secrets.js";
import { type DoctorInput, diagnose } from "./index.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim?.stop();
});

function input(extra: Partial<DoctorInput>, config: { password_command?: string } = {}) {
  const env = { HOME: "/nonexistent", ...extra.env };
  const loadSettings = async () =>
    resolveSettings({ flags: { pbx: sim.url, extension: "100" }, env, config });
  return { loadSettings, ...extra, env };
}

async function loginCheck(doctorInput: DoctorInput, store = memoryStore()) {
  const report = await diagnose(doctorInput, { store, timeoutMs: 3000 });
  return report.checks.find((check) => check.id === "login");
}

describe("diagnose: the fix for a wrong password", () => {
  it("names DIAL3CX_PASSWORD when the password came from the environment", async () => {
    const login = await loginCheck(input({ env: { DIAL3CX_PASSWORD: "wrong" } }));
    expect(login).toMatchObject({
      status: "fail",
      code: "auth",
      fix: "DIAL3CX_PASSWORD is wrong: fix or unset it",
    });
  });

  it("names password_command when the config's command gave it", async () => {
    const login = await loginCheck(input({ env: {} }, { password_command: "echo wrong" }));
    expect(login).toMatchObject({ status: "fail", code: "auth" });
    expect(login?.fix).toMatch(/^the password_command .*returned a wrong password/);
  });

  it("names standard input for --password-stdin", async () => {
    const login = await loginCheck(input({ env: {}, stdinPassword: async () => "wrong\n" }));
    expect(login).toMatchObject({
      status: "fail",
      code: "auth",
      fix: expect.stringMatching(/^the password on standard input was wrong/),
    });
  });

  it("suggests dial3cx login when the keyring held it", async () => {
    const store = memoryStore();
    await store.set(accountName({ pbx: sim.url, extension: "100" }), "wrong");
    const login = await loginCheck(input({ env: {} }), store);
    expect(login).toMatchObject({
      status: "fail",
      code: "auth",
      fix: "run dial3cx login to store the right password",
    });
  });

  it("passes with the right password and says where it came from", async () => {
    const login = await loginCheck(input({ env: { DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD } }));
    expect(login).toMatchObject({ status: "pass" });
    expect(login?.detail).toContain("password from DIAL3CX_PASSWORD");
  });
});
