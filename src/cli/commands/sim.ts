// `dial3cx sim`: runs the PBX simulator in the foreground until SIGINT or SIGTERM. Validates the
// option strings, prints one ready line, optionally writes the certificate for clients to trust.
import { readFile, writeFile } from "node:fs/promises";
import { Dial3cxError } from "../../errors.js";
import {
  DEFAULT_DEMO_PASSWORD,
  loadScenarioFile,
  type Scenario,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../sim/index.js";

export interface SimCommandOptions {
  host?: string;
  port?: string;
  pbxVersion?: string;
  scenario?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  certOut?: string;
  addpInterval?: string;
  answerAfter?: string;
  hangupAfter?: string;
  latency?: string;
}

export interface SimCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const DEFAULT_PORT = 5001;

class UsageProblem extends Error {}

/** Resolves to the exit code: 0 after a signal, 2 for a bad option, 1 when it cannot start. */
export async function runSim(opts: SimCommandOptions, io: SimCommandIo): Promise<number> {
  let options: SimulatorOptions;
  try {
    options = await simulatorOptions(opts);
  } catch (error) {
    if (error instanceof UsageProblem || error instanceof Dial3cxError) {
      io.stderr.write(`dial3cx sim: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`dial3cx sim: cannot start on ${options.host}:${options.port}: ${reason}\n`);
    return error instanceof Dial3cxError ? 2 : 1;
  }
  try {
    if (opts.certOut && sim.certPem) await writeFile(opts.certOut, sim.certPem, { mode: 0o644 });
  } catch (error) {
    await sim.stop();
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`dial3cx sim: cannot write --cert-out ${opts.certOut}: ${reason}\n`);
    return 2;
  }
  // Listen before announcing: whoever reads the ready line may signal us at once.
  const signalled = untilSignal();
  io.stdout.write(`${readyLine(sim, opts.scenario === undefined)}\n`);
  await signalled;
  await sim.stop();
  return 0;
}

function readyLine(sim: Simulator, isDefaultScenario: boolean): string {
  const parts = [`dial3cx sim listening on ${sim.url} (3CX V${sim.pbxVersion})`];
  if (sim.fingerprint) parts.push(`TLS SHA-256 ${sim.fingerprint}`);
  parts.push(loginHint(sim.scenario, isDefaultScenario));
  return parts.join(" · ");
}

/** The default scenario's demo password is public (README); a scenario file's stays private. */
function loginHint(scenario: Scenario, isDefaultScenario: boolean): string {
  const first = scenario.extensions[0];
  if (isDefaultScenario) {
    // 102's 2FA secret is public too: an authenticator app (or oathtool) makes its codes.
    const twoFactor = scenario.extensions.find((extension) => extension.totpSecret);
    const hint = twoFactor
      ? ` · 2FA: ${twoFactor.number} / ${twoFactor.password}, TOTP secret ${twoFactor.totpSecret}`
      : "";
    return `log in as ${first?.number ?? "100"} / ${DEFAULT_DEMO_PASSWORD}${hint}`;
  }
  return `log in as ${first?.number} (password in the scenario file)`;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

async function simulatorOptions(opts: SimCommandOptions): Promise<SimulatorOptions> {
  const host = opts.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageProblem("--host must not be empty");
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageProblem("--tls-cert and --tls-key go together");
  }
  const tls =
    opts.tlsCert && opts.tlsKey ? await readPemPair(opts.tlsCert, opts.tlsKey) : opts.tls === true;
  if (opts.certOut && !tls)
    throw new UsageProblem("--cert-out needs --tls (or --tls-cert/--tls-key)");
  const hangupAfter = optionalMs(opts.hangupAfter, "--hangup-after");
  return {
    host,
    port: integerIn(opts.port, "--port", 0, 65535) ?? DEFAULT_PORT,
    pbxVersion: pbxVersion(opts.pbxVersion),
    ...(opts.scenario ? { scenario: await loadScenarioFile(opts.scenario) } : {}),
    tls,
    addpIntervalMs: secondsToMs(opts.addpInterval, "--addp-interval") ?? 5000,
    answerAfterMs: optionalMs(opts.answerAfter, "--answer-after") ?? 1500,
    ...(hangupAfter === undefined ? {} : { hangupAfterMs: hangupAfter }),
    latencyMs: optionalMs(opts.latency, "--latency") ?? 0,
  };
}

async function readPemPair(
  certPath: string,
  keyPath: string,
): Promise<{ cert: string; key: string }> {
  const read = async (path: string, flag: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageProblem(`cannot read ${flag} ${path}: ${reason}`);
    }
  };
  return { cert: await read(certPath, "--tls-cert"), key: await read(keyPath, "--tls-key") };
}

function pbxVersion(value: string | undefined): 20 | 18 {
  if (value === undefined || value === "20") return 20;
  if (value === "18") return 18;
  throw new UsageProblem(`--pbx-version must be 20 or 18, not "${value}"`);
}

function integerIn(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageProblem(`${flag} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

function optionalMs(value: string | undefined, flag: string): number | undefined {
  return integerIn(value, flag, 0, 3_600_000);
}

function secondsToMs(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(seconds > 0) || seconds > 3600) {
    throw new UsageProblem(
      `${flag} must be a number of seconds above 0 (at most 3600), not "${value}"`,
    );
  }
  return Math.max(1, Math.round(seconds * 1000));
}
