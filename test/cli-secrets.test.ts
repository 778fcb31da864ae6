// End to end: the password never appears on any process's argv, in the CLI's output, or in any
// file it writes — through login (stdin), call (environment), password_command, a session
// expiry that needs the password again, and a rejected password.
import { randomUUID } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  type CliResult,
  makeHome,
  type RunOptions,
  runCli,
  type TempHome,
  TestSim,
} from "./cli-helpers.js";

const HAS_PROC = process.platform === "linux";

/** Every process's argv seen while `run` runs, sampled every few ms from /proc. */
async function watchingArgv(run: (options: Pick<RunOptions, "onSpawn">) => Promise<CliResult>) {
  const seen = new Map<number, string>();
  let childPid: number | undefined;
  let running = true;
  const sample = async () => {
    while (running) {
      for (const entry of await readdir("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const argv = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
        if (argv !== "") seen.set(Number(entry), argv.replaceAll("\0", " "));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const sampler = HAS_PROC ? sample() : Promise.resolve();
  try {
    const result = await run({
      onSpawn: (child) => {
        childPid = child.pid;
      },
    });
    return { result, seen, childPid };
  } finally {
    running = false;
    await sampler;
  }
}

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

async function filesContaining(home: TempHome, secret: string): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(home.dir)) {
    if ((await readFile(file)).includes(Buffer.from(secret))) hits.push(file);
  }
  return hits;
}

describe.concurrent("the password stays secret", () => {
  test("login, call, an expired session, password_command and a wrong password", async ({
    expect,
    onTestFinished,
  }) => {
    const password = `Pw-${randomUUID()}-x`;
    const wrongPassword = `Wrong-${randomUUID()}-y`;
    const sim = await TestSim.start(onTestFinished, {
      answerAfterMs: 50,
      hangupAfterMs: 50,
      scenario: {
        extensions: [
          {
            number: "100",
            password,
            firstName: "Secret",
            lastName: "Keeper",
            devices: [
              {
                contact: "sip:100@192.168.178.20:5062;rinstance=a1",
                userAgent: "Yealink SIP-T46S",
                sourceAddress: "192.168.178.20:5062",
              },
            ],
          },
        ],
        contacts: [],
      },
    });
    const home = await makeHome(onTestFinished);
    // password_command reads a file outside HOME, so HOME itself must stay free of the password.
    const outside = await makeHome(onTestFinished);
    const passwordFile = join(outside.dir, "pw");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });

    const outputs: string[] = [];
    const argvs: string[] = [];
    const check = async (args: string[], code: number, extra: Partial<RunOptions> = {}) => {
      for (const arg of args) {
        expect(arg).not.toContain(password);
        expect(arg).not.toContain(wrongPassword);
      }
      const { result, seen, childPid } = await watchingArgv((hooks) =>
        runCli(args, { env: home.env, ...extra, ...hooks }),
      );
      expect(result, `dial3cx ${args.join(" ")}`).toMatchObject({ code });
      if (HAS_PROC && childPid !== undefined) {
        // The sampler did see our child, so it would have seen a re-spawn with the password too.
        expect(seen.get(childPid)).toContain("dial3cx.js");
      }
      argvs.push(...seen.values());
      outputs.push(result.stdout, result.stderr);
    };

    const loginArgs = ["login", "--pbx", sim.url, "--extension", "100", "--password-stdin"];
    await check(loginArgs, 0, { stdin: `${password}\n` });
    // Warm: the session login cached, no password needed.
    await check(["call", "123", "--wait"], 0);
    // Cold with a wrong password from the environment: rejected, and not echoed.
    await rm(home.cacheFile);
    await check(["call", "125", "--json"], 3, {
      env: { ...home.env, DIAL3CX_PASSWORD: wrongPassword },
    });
    // Cold with the right one.
    await check(["call", "124"], 0, { env: { ...home.env, DIAL3CX_PASSWORD: password } });
    // The cached session expires: the CLI logs in again, with the password from password_command.
    await writeFile(home.configFile, `password_command = "cat ${passwordFile}"\n`, { flag: "a" });
    await sim.faults({ expireSessions: true, expireRefreshTokens: true });
    await check(["call", "126"], 0);

    expect(await sim.calls()).toHaveLength(3);
    // Four logins took the password: login, the wrong one, the cold call, password_command's.
    const logins = (await sim.requests()).filter((r) => r.path.endsWith("/GetAccessToken"));
    expect(logins.map((r) => r.status)).toHaveLength(4);
    for (const secret of [password, wrongPassword]) {
      expect(argvs.filter((argv) => argv.includes(secret))).toEqual([]);
      expect(outputs.filter((output) => output.includes(secret))).toEqual([]);
      expect(await filesContaining(home, secret)).toEqual([]);
    }
    // The login really used the password: the scenario has no other way in.
    expect(outputs.join("")).toContain("Logged in as 100 (Secret Keeper)");
  });
});
