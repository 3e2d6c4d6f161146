import crypto from 'node:crypto';

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 only offers through its
 * legacy provider (`--openssl-legacy-provider`). Without it the second page of any listing answers 500.
 *
 * DES is exactly 3DES-EDE with the same key three times (E_k(D_k(E_k(x))) = E_k(x)), and 3DES is in the
 * default provider. So, only when 'des' is unsupported, s3rver's `des` calls are served by `des-ede3-cbc`:
 * byte-for-byte the same ciphertext, no flag to remember, every other algorithm untouched.
 */
export function enableDesForS3rver(): void {
  if (desIsSupported() || patched) return;
  patched = true;
  const { createCipheriv, createDecipheriv } = crypto;
  const asTripleDes = (algorithm: string, key: crypto.CipherKey) =>
    algorithm.toLowerCase() === 'des' && Buffer.isBuffer(key) && key.length === 8
      ? (['des-ede3-cbc', Buffer.concat([key, key, key])] as const)
      : ([algorithm, key] as const);

  crypto.createCipheriv = ((algorithm: string, key: crypto.CipherKey, ...rest: unknown[]) =>
    (createCipheriv as (...args: unknown[]) => crypto.Cipher)(...asTripleDes(algorithm, key), ...rest)) as typeof createCipheriv;
  crypto.createDecipheriv = ((algorithm: string, key: crypto.CipherKey, ...rest: unknown[]) =>
    (createDecipheriv as (...args: unknown[]) => crypto.Decipher)(...asTripleDes(algorithm, key), ...rest)) as typeof createDecipheriv;
}

let patched = false;

function desIsSupported(): boolean {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}
