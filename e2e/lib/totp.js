// RFC 6238 time-based one-time codes (SHA-1, 30-second steps, 6 digits), as an authenticator
// app computes them from the base32 secret: the staff journey logs in like a person would.
import crypto from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (upper case, padding and spaces ignored) to bytes. */
export function base32Decode(text) {
  const clean = text.replace(/[=\s]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error(`not base32: "${ch}" in ${text}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code for `secret` (base32) at `timeMs` (RFC 6238 with RFC 4226 truncation). */
export function totp(secret, timeMs = Date.now(), { step = 30, digits = 6 } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / step)));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * A code that stays valid for the next `marginMs`: if the current 30-second step is about
 * to end, wait for the next one, so a slow form submission does not land in a later step.
 */
export async function freshTotp(secret, { marginMs = 5_000, step = 30 } = {}) {
  const left = step * 1000 - (Date.now() % (step * 1000));
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return totp(secret);
}
