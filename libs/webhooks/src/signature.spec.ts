import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from './signature';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"job_id":"x","status":"completed"}';
const AT = new Date('2026-01-01T00:00:00Z');

describe('Framewire-Signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const t = AT.getTime() / 1000;
    const expected = createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex');
    expect(signatureHeader(SECRET, BODY, AT)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies with the same secret and body, inside the tolerance', () => {
    const header = signatureHeader(SECRET, BODY, AT);
    expect(verifySignature(SECRET, header, BODY, { now: new Date(AT.getTime() + 60_000) })).toBe(true);
  });

  it('fails on another body, another secret, a stale timestamp or a malformed header', () => {
    const header = signatureHeader(SECRET, BODY, AT);
    const now = { now: AT };
    expect(verifySignature(SECRET, header, BODY + ' ', now)).toBe(false);
    expect(verifySignature('another-secret-0123456789', header, BODY, now)).toBe(false);
    expect(verifySignature(SECRET, header, BODY, { now: new Date(AT.getTime() + 301_000) })).toBe(false);
    expect(verifySignature(SECRET, undefined, BODY, now)).toBe(false);
    expect(verifySignature(SECRET, 'v1=abc', BODY, now)).toBe(false);
    expect(verifySignature(SECRET, header.replace(/t=\d+/, `t=${AT.getTime() / 1000 + 1}`), BODY, { now: AT })).toBe(false);
  });

  it('accepts any matching v1 (a rotation sends two)', () => {
    const header = signatureHeader(SECRET, BODY, AT);
    const other = signatureHeader('old-secret-0123456789', BODY, AT).split(',')[1];
    expect(verifySignature(SECRET, `${header.split(',')[0]},${other},${header.split(',')[1]}`, BODY, { now: AT })).toBe(true);
  });
});
