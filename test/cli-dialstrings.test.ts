// End to end: dial strings that were rewritten instead of refused. Each is refused with exit 2 and
// one line saying why, and nothing reaches the PBX; an extension behind a number is shown with
// "then key in …", since it is never dialled.
import { describe, test } from "vitest";
import { parseJsonLines, runCli, startSimAndHome } from "./cli-helpers.js";
import { notificationTexts, StandIns, writeConfig } from "./desktop-helpers.js";

describe.concurrent("dial3cx call refuses what it would have rewritten", () => {
  test.for<[string, RegExp]>([
    ["+49 30 12;rm -rf", /contains ";"/],
    ["030 1234, 5", /contains ","/],
    ["123456;phone-context=+1900", /contains ";"/],
    ["+49 30 123456;ext=12", /contains ";"/],
    ["tel:110?+4930123456", /goes on after "\?"/],
    ["tel:+4930123456;rm -rf", /not a well-formed URI parameter/],
    ["tel:+4930123456;ext=12;ext=13", /";ext" appears twice/],
    ["sip:110@evil.example", /"evil.example" is not your PBX/],
    ["sip:101@other-company.example", /is not your PBX/],
  ])("%j: exit 2, nothing sent", async ([number, reason], { expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", number], { env });
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/^dial3cx: Cannot dial [^\n]+\n$/);
    expect(run.stderr).toMatch(reason);
    expect(await sim.requests()).toEqual([]);
    expect(await sim.calls()).toEqual([]);
  });

  test("a sip: URI on the PBX's own host, or a configured sip_domains host, is dialled", async ({
    expect,
    onTestFinished,
  }) => {
    const { sim, home, env } = await startSimAndHome(onTestFinished);
    const own = await runCli(["call", `sip:101@${new URL(sim.url).host}`], { env });
    expect(own).toMatchObject({ code: 0, stderr: "" });
    await writeConfig(home, 'sip_domains = ["1234.3cx.example"]\n');
    const domain = await runCli(["call", "sip:102@1234.3CX.example"], { env });
    expect(domain).toMatchObject({ code: 0, stderr: "" });
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["101", "102"]);
  });
});

describe.concurrent("an extension behind a number is not dialled, and the output says so", () => {
  test("call tel:…;ext=12 says: then key in 12", async ({ expect, onTestFinished }) => {
    const { sim, env } = await startSimAndHome(onTestFinished);
    const run = await runCli(["call", "tel:+49-30-123456;ext=12"], { env });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toBe(
      "Calling +49 30 123456 ext. 12 on Yealink T46S (ext 100): then key in 12\n",
    );
    expect((await sim.calls()).map((c) => c.destination)).toEqual(["004930123456"]);
    const json = await runCli(["call", "+49 30 555 x7", "--json", "--dry-run"], { env });
    expect(parseJsonLines(json.stdout)).toEqual([expect.objectContaining({ keyIn: "7" })]);
  });

  test("open tel:…;ext=12: the notification says then key in 12", async ({
    expect,
    onTestFinished,
  }) => {
    const { home, env } = await startSimAndHome(onTestFinished);
    const standIns = new StandIns(home);
    const notifySend = await standIns.add("notify-send");
    const run = await runCli(["open", "tel:+49-30-123456;ext=12"], { env: standIns.env(env) });
    expect(run).toMatchObject({ code: 0 });
    expect(await notificationTexts(notifySend)).toEqual([
      "Calling +49 30 123456 ext. 12 on Yealink T46S: then key in 12",
    ]);
  });
});
