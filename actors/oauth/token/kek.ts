/**
 * Encryption of the private signing keys at rest: AES-256-GCM under the key-encryption key
 * (setting oauth.keyEncryptionKey, the same on every replica). The key id is the additional
 * authenticated data, so a ciphertext moved onto another key's row does not decrypt.
 *
 * Format: `v1.<iv>.<ciphertext>.<tag>`, base64url parts: never a JSON object, which storage
 * refuses as a clear key given by mistake.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TokenCodes, TokenError } from './errors.js';

export class KeyEncryptionKey {
  readonly #key: Buffer;

  /** TypeError unless `base64` is the base64 of exactly 32 bytes (a configuration mistake). */
  constructor(base64: string) {
    const key = Buffer.from(base64, 'base64');
    if (key.length !== 32 || key.toString('base64') !== base64) throw new TypeError('oauth.keyEncryptionKey must be the base64 of 32 bytes');
    this.#key = key;
  }

  seal(kid: string, plaintext: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(kid, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
  }

  /** ERR_SIGNING_KEYS_UNAVAILABLE when the text is not ours or the key is a different one. */
  open(kid: string, sealed: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, 'a stored signing key is not in the expected format');
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(parts[1] as string, 'base64url'));
      d.setAAD(Buffer.from(kid, 'utf8'));
      d.setAuthTag(Buffer.from(parts[3] as string, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(parts[2] as string, 'base64url')), d.final()]).toString('utf8');
    } catch (cause) {
      throw new TokenError(TokenCodes.KEYS_UNAVAILABLE, 'a stored signing key does not decrypt: is oauth.keyEncryptionKey the same on every replica?', { cause });
    }
  }
}
