// Whether this system trusts a PBX's TLS certificate, and, when it does not, what a user needs to
// see before pinning it (`dial3cx login`). Nothing but a TLS handshake is sent.

import { notHttpsError } from "../../drivers/http.js";
import { verifyTlsChain } from "../../drivers/probe.js";
import { fetchPeerCertificate, resolveTlsTrust } from "../../drivers/tls.js";
import { NetworkError, TlsError } from "../../errors.js";

export { parsePbxUrl } from "../../drivers/http.js";

export interface UntrustedCertificate {
  fingerprint: string;
  subject: string;
  validTo: string;
}

/** Undefined when the system CAs trust the PBX; otherwise the certificate to show the user. */
export async function untrustedCertificate(
  pbx: URL,
  timeoutMs = 10_000,
): Promise<UntrustedCertificate | undefined> {
  try {
    await verifyTlsChain(pbx, await resolveTlsTrust(pbx, {}), timeoutMs);
    return undefined;
  } catch (error) {
    const plain = notHttpsError(error, pbx);
    if (plain) throw plain;
    if (!(error instanceof TlsError)) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NetworkError(`Cannot reach the PBX at ${pbx.origin}: ${reason}.`, { cause: error });
    }
  }
  const cert = await fetchPeerCertificate(pbx, timeoutMs);
  return {
    fingerprint: cert.fingerprint256,
    subject: [cert.subject?.CN ?? "unknown"].flat().join(", "),
    validTo: cert.valid_to,
  };
}
