// Private keys at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the server secret.
// The kid is bound as additional data, so a sealed key cannot be moved to another row.
import { KeyError } from './errors.ts';

const VERSION = 'v1';
const encoder = new TextEncoder();

export interface Sealer {
  seal(plaintext: string, associatedData: string): Promise<string>;
  open(sealed: string, associatedData: string): Promise<string>;
}

export async function createSealer(secret: Uint8Array<ArrayBuffer>): Promise<Sealer> {
  const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode('idp signing key seal v1') },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  return {
    async seal(plaintext, associatedData) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(associatedData) },
        key,
        encoder.encode(plaintext),
      );
      return [VERSION, b64(iv), b64(new Uint8Array(ciphertext))].join('.');
    },
    async open(sealed, associatedData) {
      const [version, iv, ciphertext] = sealed.split('.');
      if (version !== VERSION || !iv || !ciphertext) {
        throw new KeyError(`The sealed private key ${associatedData} is not in a format this idp understands.`);
      }
      try {
        const plaintext = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: unb64(iv), additionalData: encoder.encode(associatedData) },
          key,
          unb64(ciphertext),
        );
        return new TextDecoder().decode(plaintext);
      } catch {
        throw new KeyError(
          `Cannot decrypt the private key ${associatedData}: the server secret (IDP_SECRET or DATA_DIR/secret) is not the one it was sealed with, or the key was altered.`,
        );
      }
    },
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function unb64(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
