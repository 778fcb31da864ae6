// Where numbers are not marked: excluded hosts (and their subdomains) and the gateway's own page.
import { describe, expect, it } from "vitest";
import { checkGatewayUrl } from "./gateway.js";
import { DEFAULT_SETTINGS, isExcluded, parseSiteList } from "./settings.js";

describe("isExcluded", () => {
  const settings = {
    ...DEFAULT_SETTINGS,
    gatewayUrl: "http://127.0.0.1:7070",
    excludedSites: parseSiteList("mail.example.com\n*.intranet.example, https://wiki.example/x\n"),
  };

  it("skips excluded hosts, their subdomains, and the gateway's dialer page", () => {
    for (const url of [
      "https://mail.example.com/inbox",
      "https://a.mail.example.com/",
      "http://intranet.example/",
      "https://hr.intranet.example/people",
      "https://wiki.example/page",
      "http://127.0.0.1:7070/",
      "not a url",
    ]) {
      expect([url, isExcluded(url, settings)]).toEqual([url, true]);
    }
    for (const url of [
      "https://crm.example.com/",
      "https://notmail.example.com/",
      "http://127.0.0.1:8080/",
    ]) {
      expect([url, isExcluded(url, settings)]).toEqual([url, false]);
    }
  });

  it("reads the site list one host a line or comma-separated", () => {
    expect(parseSiteList(" a.example \n\n b.example, c.example ")).toEqual([
      "a.example",
      "b.example",
      "c.example",
    ]);
  });

  it("takes http(s) Gateway URLs only, as origins", () => {
    expect(checkGatewayUrl(" http://127.0.0.1:7070/ ")).toBe("http://127.0.0.1:7070");
    for (const bad of [
      "127.0.0.1:7070x",
      "ftp://x",
      "http://user:pw@127.0.0.1:7070",
      "javascript:alert(1)",
    ]) {
      expect(() => checkGatewayUrl(bad), bad).toThrow(/Gateway URL/);
    }
  });
});
