import { describe, expect, it } from 'vitest';
import { buildTlsPlan, ConfigError, describeCertificateError, PIN_MISMATCH } from '@tether/agent';

const HEX = 'cd'.repeat(32);
const NODE_FP = HEX.toUpperCase().match(/../g)!.join(':');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('buildTlsPlan', () => {
  it('verifies against the system CAs by default', () => {
    expect(buildTlsPlan({})).toEqual({ mode: 'system', options: { rejectUnauthorized: true } });
  });

  it('verifies chain and host name against a CA file', () => {
    expect(buildTlsPlan({ ca: CA })).toEqual({ mode: 'ca', options: { rejectUnauthorized: true, ca: CA } });
  });

  it('pins the exact certificate: the chain is not needed, any other certificate is refused', () => {
    const plan = buildTlsPlan({ fingerprint: `sha256:${HEX}` });
    expect(plan.mode).toBe('pin');
    expect(plan.options).toEqual({ rejectUnauthorized: false });
    expect(plan.checkPeer!({ fingerprint256: NODE_FP })).toBeUndefined();
    const wrong = plan.checkPeer!({ fingerprint256: 'AB:'.repeat(31) + 'AB' });
    expect(wrong).toBeInstanceOf(Error);
    expect((wrong as Error & { code: string }).code).toBe(PIN_MISMATCH);
    expect(wrong!.message).toMatch(/does not match the pinned fingerprint sha256:cdcd/);
    expect(plan.checkPeer!({})).toBeInstanceOf(Error);
  });

  it('accepts the colon form Node and openssl print', () => {
    expect(buildTlsPlan({ fingerprint: NODE_FP }).checkPeer!({ fingerprint256: NODE_FP })).toBeUndefined();
  });

  it('with a CA and a pin, needs both', () => {
    const plan = buildTlsPlan({ ca: CA, fingerprint: HEX });
    expect(plan.mode).toBe('ca+pin');
    expect(plan.options).toEqual({ rejectUnauthorized: true, ca: CA });
    expect(plan.checkPeer!({ fingerprint256: NODE_FP })).toBeUndefined();
  });

  it('insecure verifies nothing and combines with nothing', () => {
    expect(buildTlsPlan({ insecure: true })).toEqual({
      mode: 'insecure',
      options: { rejectUnauthorized: false },
    });
    expect(() => buildTlsPlan({ insecure: true, ca: CA })).toThrow(ConfigError);
    expect(() => buildTlsPlan({ insecure: true, fingerprint: HEX })).toThrow(ConfigError);
  });

  it('refuses a malformed fingerprint', () => {
    expect(() => buildTlsPlan({ fingerprint: 'sha256:1234' })).toThrow(/invalid --fingerprint/);
  });
});

describe('describeCertificateError', () => {
  it('explains certificate refusals and how to fix them', () => {
    expect(
      describeCertificateError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }),
    ).toMatch(/certificate refused.*--ca-file.*--fingerprint/);
    expect(describeCertificateError({ code: PIN_MISMATCH, message: 'x' })).toMatch(/certificate refused/);
  });

  it('leaves other errors alone', () => {
    expect(describeCertificateError({ code: 'ECONNREFUSED', message: 'refused' })).toBeUndefined();
    expect(describeCertificateError({ message: 'no code' })).toBeUndefined();
  });
});
