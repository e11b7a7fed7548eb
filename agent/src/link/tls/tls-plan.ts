import { parseFingerprint } from '@tether/shared';
import { ConfigError } from '../../errors.js';

/** How to verify the control plane over TLS: a CA file or inline CA (PEM), a pinned fingerprint, or `insecure`. */
export interface TlsSettings {
  caFile?: string;
  ca?: string;
  fingerprint?: string;
  insecure: boolean;
}

/** How the agent trusts the control plane's certificate: a CA (PEM), a pinned fingerprint, or explicitly nothing. */
export interface TlsTrust {
  /** PEM of the CA(s) that sign the server certificate. */
  ca?: string | undefined;
  /** `sha256:HEX` of the server certificate itself (pinning). */
  fingerprint?: string | undefined;
  /** Skip verification (local experiments only; warned about on every start). */
  insecure?: boolean | undefined;
}

/** Which verification a plan does. `system`: the system CAs with the host name check. */
export type TlsMode = 'system' | 'ca' | 'pin' | 'ca+pin' | 'insecure';

/** The peer certificate fields a check reads (node's `PeerCertificate` fits). */
export interface PeerCertificateFacts {
  fingerprint256?: string;
}

/** Options for `tls.connect`, MQTT.js and ws, plus a check of the server certificate. */
export interface TlsPlan {
  mode: TlsMode;
  options: { rejectUnauthorized: boolean; ca?: string };
  /**
   * Runs on the server certificate after the handshake and before any byte (CONNECT with the secret, the
   * enrollment request) is written; an Error refuses the server. Present for pinning only.
   */
  checkPeer?: (cert: PeerCertificateFacts) => Error | undefined;
}

/** The code of the error a pin mismatch raises. */
export const PIN_MISMATCH = 'ERR_TETHER_PIN_MISMATCH';

/**
 * Builds the TLS verification of every connection to the control plane (MQTT over TLS, wss, HTTPS enrollment),
 * pure: a CA verifies the chain and the host name; a fingerprint pins the exact server certificate (the chain of
 * a self-signed or private-CA server is not checked then, the pin is stronger); both together need both; neither:
 * the system CAs. `insecure` verifies nothing and cannot be combined with the others. Throws a ConfigError.
 */
export function buildTlsPlan(trust: TlsTrust): TlsPlan {
  if (trust.insecure) {
    if (trust.ca || trust.fingerprint)
      throw new ConfigError('--insecure cannot be combined with --ca-file or --fingerprint');
    return { mode: 'insecure', options: { rejectUnauthorized: false } };
  }
  let pin: string | undefined;
  if (trust.fingerprint) {
    try {
      pin = parseFingerprint(trust.fingerprint);
    } catch (err) {
      throw new ConfigError(`invalid --fingerprint: ${(err as Error).message}`);
    }
  }
  const checkPeer = pin === undefined ? undefined : pinCheck(pin);
  if (trust.ca && checkPeer)
    return { mode: 'ca+pin', options: { rejectUnauthorized: true, ca: trust.ca }, checkPeer };
  if (trust.ca) return { mode: 'ca', options: { rejectUnauthorized: true, ca: trust.ca } };
  if (checkPeer) return { mode: 'pin', options: { rejectUnauthorized: false }, checkPeer };
  return { mode: 'system', options: { rejectUnauthorized: true } };
}

function pinCheck(pin: string): (cert: PeerCertificateFacts) => Error | undefined {
  return (cert) => {
    let actual: string | undefined;
    try {
      actual = cert.fingerprint256 ? parseFingerprint(cert.fingerprint256) : undefined;
    } catch {
      actual = undefined;
    }
    if (actual === pin) return undefined;
    return Object.assign(
      new Error(
        `server certificate ${actual ?? '(none)'} does not match the pinned fingerprint ${pin}: refusing to send anything`,
      ),
      { code: PIN_MISMATCH },
    );
  };
}

const CERT_ERRORS = new Set([
  PIN_MISMATCH,
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A clear, actionable line for an error that refused the server's certificate, or undefined for other errors
 * (refused connections, resets).
 */
export function describeCertificateError(err: { code?: unknown; message: string }): string | undefined {
  if (typeof err.code !== 'string' || !CERT_ERRORS.has(err.code)) return undefined;
  const hint =
    err.code === PIN_MISMATCH
      ? 'check --fingerprint (or the pin the grant carried) against "tether-cp certs init" output'
      : 'pass --ca-file with the CA that signed it, or --fingerprint sha256:HEX to pin it';
  return `control plane certificate refused (${err.code}): ${err.message}; ${hint}`;
}
