// End to end: `dial3cx login` repairs a config.toml every other command refuses (they all say
// "fix it or run dial3cx login"), and its note on where the password lives is true to the setup.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse } from "smol-toml";
import { describe, test } from "vitest";
import { runCli, startSimAndHome, writeTempFile } from "./cli-helpers.js";
import { writeConfig } from "./desktop-helpers.js";

describe.concurrent("dial3cx login and a broken config", () => {
  test("reports the broken lines and rewrites the file with the valid keys", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const broken = [
      `pbx = "${sim.url}"`,
      'extension = "100"',
      "confirm = yes please",
      'dedupe_seconds = "soon"',
      'default_region = "DE"',
      "",
    ].join("\n");
    await writeConfig(home, broken);
    // Every other command refuses the file.
    const refused = await runCli(["devices"], { env: home.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/fix it or run dial3cx login/);

    const login = await runCli(["login", "--password-stdin"], {
      env: home.env,
      stdin: "dial3cx-demo\n",
    });
    expect(login).toMatchObject({ code: 0 });
    expect(login.stderr).toContain(`${home.configFile} does not load:\n  line 3: invalid TOML\n`);
    expect(login.stderr).toMatch(/"dedupe_seconds" \(line 4\): must be a number of seconds/);
    expect(login.stderr).toContain(
      `Rewrote ${home.configFile} with the valid keys (pbx, extension, default_region); the old file is ${home.configFile}.bak.`,
    );
    expect(parse(await readFile(home.configFile, "utf8"))).toEqual({
      pbx: sim.url,
      extension: "100",
      default_region: "DE",
    });
    expect(await readFile(`${home.configFile}.bak`, "utf8")).toBe(broken);
    expect((await runCli(["devices"], { env: home.env })).code).toBe(0);
  });

  test("without a keyring, the note names password_command when it is set", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home } = await startSimAndHome(onTestFinished);
    const file = await writeTempFile(home, "pw", "dial3cx-demo\n");
    await writeConfig(home, `password_command = "cat '${file}'"\n`);
    const login = await runCli(
      ["login", "--pbx", sim.url, "--extension", "100", "--password-stdin"],
      { env: home.env, stdin: "dial3cx-demo\n" },
    );
    expect(login).toMatchObject({ code: 0 });
    expect(login.stderr).toContain("Later commands take it from password_command in config.toml.");
    expect(login.stderr).not.toMatch(/Set password_command/);
    expect(existsSync(`${home.configFile}.bak`)).toBe(false);
  });
});
