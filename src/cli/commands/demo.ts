// `dial3cx demo` (`npm run demo`): starts the simulator in-process and runs the real
// `dial3cx call --wait` against it in a child process with a throw-away HOME, so the demo shows
// exactly what a user sees: login, device choice, the call ringing, connecting and ending.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dial3cxBin } from "../../package-root.js";
import { DEFAULT_DEMO_PASSWORD, startSimulator } from "../../sim/index.js";
import type { Io } from "../context.js";

const DEMO_NUMBER = "+49 30 123456";

export async function runDemo(io: Io): Promise<number> {
  const sim = await startSimulator({ port: 0, answerAfterMs: 1500, hangupAfterMs: 3000 });
  const home = await mkdtemp(join(tmpdir(), "dial3cx-demo-"));
  const env = demoEnv(io.env, sim.url, home);
  try {
    io.stdout.write(
      `Simulated 3CX V20 PBX on ${sim.url} (extension 100: a Yealink desk phone and the 3CX app)\n\n`,
    );
    for (const args of [["devices"], ["call", DEMO_NUMBER, "--wait"]]) {
      const before = (await simJson<unknown[]>(sim.url, "/__sim/requests")).length;
      io.stdout.write(`$ dial3cx ${args.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ")}\n`);
      const code = await runCli(args, env, io);
      const sent = (await simJson<unknown[]>(sim.url, "/__sim/requests")).length - before;
      io.stdout.write(`  (${sent} request${sent === 1 ? "" : "s"} to the PBX)\n\n`);
      if (code !== 0) return code;
    }
    for (const call of await simJson<SimCall[]>(sim.url, "/__sim/calls")) {
      io.stdout.write(
        `The PBX saw: MakeCall to ${call.destination} ringing ${call.device}, now ${call.state}.\n`,
      );
    }
    return 0;
  } finally {
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  }
}

interface SimCall {
  destination: string;
  device: string;
  state: string;
}

async function simJson<T>(base: string, path: string): Promise<T> {
  return (await (await fetch(new URL(path, base))).json()) as T;
}

function demoEnv(env: NodeJS.ProcessEnv, pbx: string, home: string): NodeJS.ProcessEnv {
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_DATA_HOME: join(home, "data"),
    XDG_RUNTIME_DIR: undefined,
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
    DIAL3CX_PBX: pbx,
    DIAL3CX_EXTENSION: "100",
    // The environment, never argv: the simulator's published demo password.
    DIAL3CX_PASSWORD: DEFAULT_DEMO_PASSWORD,
    DIAL3CX_REGION: "DE",
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const bin = dial3cxBin();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
}
