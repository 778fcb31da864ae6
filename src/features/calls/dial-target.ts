// What a dial string is (DialString, DialStringOptions) and the helpers that need no parsing, apart
// from dialstring.ts, which reads numbers with libphonenumber: a warm click on a plain number
// (plain-number.ts) and printing what was placed use these without loading libphonenumber.
import type { CountryCode } from "libphonenumber-js/max";

export interface DialStringOptions {
  /** libphonenumber region of the PBX (e.g. "DE"), used to derive E.164 from national numbers. */
  defaultRegion?: CountryCode;
  /** Digits put in front of external numbers for an outside line (e.g. "0"). */
  outboundPrefix?: string;
  /** What "+" becomes in the dialled symbols: digits (default "00") or "+" to keep it. */
  plusAs?: string;
  /** Map letters to keypad digits (1-800-FLOWERS). Default false. */
  allowVanity?: boolean;
  /**
   * Hosts a sip:/sips: URI may name (the PBX's host name and its SIP domains), compared without
   * case or port. A sip: URI with any other host is refused; without this option, any host is.
   */
  sipHosts?: readonly string[];
}

export interface DialString {
  /** external number, internal extension / short number dialled verbatim, or PBX feature code. */
  kind: "external" | "extension" | "feature";
  /** Exactly what goes into RequestMakeCall.destination: digits, *, # and maybe a leading "+". */
  dial: string;
  /** "+4930123456" when the number is a full international number (or derivable with a region). */
  e164?: string;
  /** "+49 30 123456" for external numbers, the extension or code as-is otherwise. */
  display: string;
  /** From ";ext=", "ext. 12" or "x12". Never dialled: the user keys it in once connected. */
  extension?: string;
  /** The raw input. */
  source: string;
}

/** The hosts a sip: link may name: the PBX's own and its configured SIP domains. */
export function sipHosts(pbx: string | undefined, domains: readonly string[] = []): string[] {
  const hosts = [...domains];
  if (pbx) {
    try {
      hosts.unshift(new URL(pbx).hostname.replace(/^\[(.*)\]$/, "$1"));
    } catch {
      // Not a URL: no host to add.
    }
  }
  return hosts;
}

/**
 * What to key in once the call is answered, for an extension dial3cx does not dial:
 * "then key in 12", or undefined.
 */
export function keyInHint(to: Pick<DialString, "extension">): string | undefined {
  return to.extension === undefined ? undefined : `then key in ${to.extension}`;
}
