import { createHash, generateKeyPairSync } from 'node:crypto';
import { badRequest } from '../../common/errors';

/** SSH wire encoding (RFC 4251): a length-prefixed string, and an mpint without a negative sign. */
function sshString(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}
function sshMpint(data: Buffer): Buffer {
  return sshString(data[0] & 0x80 ? Buffer.concat([Buffer.from([0]), data]) : data);
}

/** Nova's fingerprint of a public key: the MD5 of its blob, as colon-separated hex. */
function fingerprintOf(blob: Buffer): string {
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}

const KEY_TYPES = new Set([
  'ssh-rsa',
  'ssh-ed25519',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);

/** Reads an imported OpenSSH public key line; Nova's 400 when it is not one. */
export function importPublicKey(line: string): { publicKey: string; fingerprint: string } {
  const invalid = () => badRequest('Keypair data is invalid: failed to generate fingerprint');
  const [type, data] = line.trim().split(/\s+/, 3);
  if (!type || !data || !KEY_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid();
  const blob = Buffer.from(data, 'base64');
  if (blob.length < 4) throw invalid();
  const inner = blob.readUInt32BE(0);
  if (inner + 4 > blob.length || blob.subarray(4, 4 + inner).toString('latin1') !== type) throw invalid();
  return { publicKey: line.trim(), fingerprint: fingerprintOf(blob) };
}

/** A new RSA key pair, as Nova generates one: OpenSSH public key, PKCS#1 PEM private key. */
export function generateKeypair(): { publicKey: string; privateKey: string; fingerprint: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    fingerprint: fingerprintOf(blob),
  };
}
