// End to end: where the password comes from, in the README's order: --password-stdin >
// DIAL3CX_PASSWORD > password_command > keyring. The environment overrides a stale password in the
// config's password_command (or the keyring), and doctor names the source that was used.
import { describe, test } from "vitest";
import { runCli, startSimAndHome, writeTempFile } from "./cli-helpers.js";
import { writeConfig } from "./desktop-helpers.js";

describe.concurrent("password precedence", () => {
  test("DIAL3CX_PASSWORD wins over a stale password_command; stdin over both", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    const stale = await writeTempFile(home, "stale-password", "not-the-password\n");
    await writeConfig(home, `password_command = "cat '${stale}'"\n`);

    const call = await runCli(["call", "123"], { env });
    expect(call).toMatchObject({ code: 0, stderr: "" });
    expect(await sim.calls()).toHaveLength(1);

    const doctor = await runCli(["doctor"], { env });
    expect(doctor.stdout).toMatch(/password from DIAL3CX_PASSWORD/);

    const stdin = await runCli(["doctor", "--password-stdin"], {
      env: { ...env, DIAL3CX_PASSWORD: "wrong" },
      stdin: "dial3cx-demo\n",
    });
    expect(stdin.stdout).toMatch(/password from standard input/);

    // Without the variable, password_command is next: its stale password is refused.
    const { DIAL3CX_PASSWORD: _, ...withoutVariable } = env;
    const refused = await runCli(["doctor"], { env: withoutVariable });
    expect(refused.stdout).toMatch(/password_command in the config returned a wrong password/);
  });
});
