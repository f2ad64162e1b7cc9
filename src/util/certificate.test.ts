import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprintSha256,
  generateSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedOptions,
} from './certificate.js';
import { derObjectIdentifier } from './der.js';
import { UtilError } from './errors.js';

const DAY_MS = 86_400_000;

/** The Date behind X509Certificate's "Jan  1 00:00:00 2024 GMT" text. */
function parsedDate(text: string): number {
  const ms = Date.parse(text);
  expect(ms, `unparseable certificate date "${text}"`).not.toBeNaN();
  return ms;
}

function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}

function expectInvalidOption(options: SelfSignedOptions): void {
  try {
    generateSelfSignedCertificate(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UtilError);
    expect((error as UtilError).code).toBe('ERR_CERT_INVALID_OPTION');
    return;
  }
  expect.fail(`expected ERR_CERT_INVALID_OPTION for ${JSON.stringify(options)}`);
}

let ec: SelfSignedCertificate;
let rsa: SelfSignedCertificate;
let generatedAt: number;

beforeAll(() => {
  generatedAt = Date.now();
  ec = generateSelfSignedCertificate();
  rsa = generateSelfSignedCertificate({ keyType: 'rsa-2048', commonName: 'turn.example.test' });
});

describe('generateSelfSignedCertificate (EC P-256 defaults)', () => {
  it('parses as a self-issued certificate for localhost', () => {
    const x509 = new X509Certificate(ec.certPem);
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.issuer).toBe('CN=localhost');
    expect(x509.ca).toBe(false);
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('is signed by its own key, and only by that key', () => {
    const x509 = new X509Certificate(ec.certDer);
    expect(x509.checkPrivateKey(ec.privateKey)).toBe(true);
    expect(x509.verify(ec.publicKey)).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(x509.checkPrivateKey(other.privateKey)).toBe(false);
    expect(x509.verify(other.publicKey)).toBe(false);
  });

  it('names ecdsa-with-SHA256 both inside the signed part and around it', () => {
    expect(countOccurrences(ec.certDer, derObjectIdentifier('1.2.840.10045.4.3.2'))).toBe(2);
    expect(countOccurrences(ec.certDer, derObjectIdentifier('1.2.840.113549.1.1.11'))).toBe(0);
  });

  it('reports the fingerprint Node computes, in SDP a=fingerprint form', () => {
    const x509 = new X509Certificate(ec.certPem);
    expect(ec.fingerprintSha256).toBe(x509.fingerprint256);
    expect(ec.fingerprintSha256).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(fingerprintSha256(ec.certDer)).toBe(ec.fingerprintSha256);
  });

  it('starts a day early for clock skew and lasts 30 days from now, in whole seconds', () => {
    const x509 = new X509Certificate(ec.certPem);
    const validFrom = parsedDate(x509.validFrom);
    const validTo = parsedDate(x509.validTo);
    expect(validFrom).toBe(ec.notBefore.getTime());
    expect(validTo).toBe(ec.notAfter.getTime());
    expect(validFrom % 1000).toBe(0);
    expect(Math.abs(validFrom - (generatedAt - DAY_MS))).toBeLessThan(5_000);
    expect(Math.abs(validTo - (generatedAt + 30 * DAY_MS))).toBeLessThan(5_000);
  });

  it('uses a positive 16-byte serial that differs between certificates', () => {
    const serial = new X509Certificate(ec.certPem).serialNumber;
    expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(serial.startsWith('00')).toBe(false);
    const again = generateSelfSignedCertificate();
    expect(new X509Certificate(again.certPem).serialNumber).not.toBe(serial);
    expect(again.fingerprintSha256).not.toBe(ec.fingerprintSha256);
  });

  it('returns the key as PKCS #8 PEM and the certificate as one PEM block of 64-column lines', () => {
    expect(ec.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const lines = ec.certPem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    for (const line of lines.slice(1, -2)) expect(line).toHaveLength(64);
    expect(Buffer.from(lines.slice(1, -1).join(''), 'base64')).toEqual(ec.certDer);
  });
});

describe('generateSelfSignedCertificate (RSA 2048)', () => {
  it('parses, verifies and carries the RSA signature algorithm', () => {
    const x509 = new X509Certificate(rsa.certPem);
    expect(x509.subject).toBe('CN=turn.example.test');
    expect(x509.issuer).toBe('CN=turn.example.test');
    expect(x509.subjectAltName).toBe(
      'DNS:turn.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.checkPrivateKey(rsa.privateKey)).toBe(true);
    expect(x509.verify(rsa.publicKey)).toBe(true);
    expect(x509.verify(ec.publicKey)).toBe(false);
    expect(x509.fingerprint256).toBe(rsa.fingerprintSha256);
    expect(countOccurrences(rsa.certDer, derObjectIdentifier('1.2.840.113549.1.1.11'))).toBe(2);
  });
});

describe('options', () => {
  it('puts the given names in subjectAltName, and only those', () => {
    const certificate = generateSelfSignedCertificate({
      commonName: 'turn.example.org',
      subjectAltNames: { dns: ['turn.example.org', '*.media.example.org'], ip: ['192.0.2.1', '2001:db8::1'] },
    });
    const x509 = new X509Certificate(certificate.certPem);
    expect(x509.subjectAltName).toBe(
      'DNS:turn.example.org, DNS:*.media.example.org, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1',
    );
    expect(x509.checkHost('turn.example.org')).toBe('turn.example.org');
    // checkHost answers with the SAN entry that matched.
    expect(x509.checkHost('sfu1.media.example.org')).toBe('*.media.example.org');
    expect(x509.checkHost('a.b.media.example.org')).toBeUndefined();
    expect(x509.checkHost('localhost')).toBeUndefined();
    expect(x509.checkIP('2001:db8::1')).toBe('2001:db8::1');
    expect(x509.checkIP('127.0.0.1')).toBeUndefined();
  });

  it('takes an IP common name as an IP SAN, not a DNS one', () => {
    const x509 = new X509Certificate(generateSelfSignedCertificate({ commonName: '192.0.2.7' }).certPem);
    expect(x509.subject).toBe('CN=192.0.2.7');
    expect(x509.subjectAltName).toBe(
      'IP Address:192.0.2.7, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
  });

  it('keeps a common name that is not a host name out of the default SAN', () => {
    const x509 = new X509Certificate(
      generateSelfSignedCertificate({ commonName: 'Switchboard DTLS' }).certPem,
    );
    expect(x509.subject).toBe('CN=Switchboard DTLS');
    expect(x509.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('leaves subjectAltName out when both lists are empty', () => {
    const certificate = generateSelfSignedCertificate({ subjectAltNames: {} });
    expect(new X509Certificate(certificate.certPem).subjectAltName).toBeUndefined();
    expect(countOccurrences(certificate.certDer, derObjectIdentifier('2.5.29.17'))).toBe(0);
  });

  it('counts validity from an explicit notBefore without backdating it', () => {
    const notBefore = new Date('2024-01-01T00:00:00.750Z');
    const certificate = generateSelfSignedCertificate({ notBefore, validityDays: 10 });
    const x509 = new X509Certificate(certificate.certPem);
    expect(x509.validFrom).toBe('Jan  1 00:00:00 2024 GMT');
    expect(x509.validTo).toBe('Jan 11 00:00:00 2024 GMT');
    expect(certificate.notBefore.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('switches from UTCTime to GeneralizedTime at 2050 (RFC 5280 §4.1.2.5)', () => {
    const certificate = generateSelfSignedCertificate({
      notBefore: new Date('2049-12-25T00:00:00Z'),
      validityDays: 30,
    });
    expect(countOccurrences(certificate.certDer, Buffer.from('\x17\x0d491225000000Z', 'latin1'))).toBe(1);
    expect(countOccurrences(certificate.certDer, Buffer.from('\x18\x0f20500124000000Z', 'latin1'))).toBe(1);
    const x509 = new X509Certificate(certificate.certPem);
    expect(x509.validFrom).toBe('Dec 25 00:00:00 2049 GMT');
    expect(x509.validTo).toBe('Jan 24 00:00:00 2050 GMT');
    expect(x509.verify(certificate.publicKey)).toBe(true);
  });

  it('encodes any validity window Node can read back', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1950-01-01T00:00:00Z'),
          max: new Date('9000-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 3650 }),
        fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9 .-]{0,20}[A-Za-z0-9])?$/),
        (notBefore, validityDays, label) => {
          const certificate = generateSelfSignedCertificate({ notBefore, validityDays, commonName: label });
          const x509 = new X509Certificate(certificate.certDer);
          expect(x509.subject).toBe(`CN=${label}`);
          expect(parsedDate(x509.validFrom)).toBe(Math.floor(notBefore.getTime() / 1000) * 1000);
          expect(parsedDate(x509.validTo)).toBe(certificate.notAfter.getTime());
          expect(x509.verify(certificate.publicKey)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses unusable options with ERR_CERT_INVALID_OPTION', () => {
    expectInvalidOption({ commonName: '' });
    expectInvalidOption({ commonName: 'x'.repeat(65) });
    expectInvalidOption({ keyType: 'dsa' as never });
    expectInvalidOption({ validityDays: 0 });
    expectInvalidOption({ validityDays: -1 });
    expectInvalidOption({ validityDays: Number.NaN });
    expectInvalidOption({ validityDays: Number.POSITIVE_INFINITY });
    expectInvalidOption({ notBefore: new Date(Number.NaN) });
    expectInvalidOption({ notBefore: new Date('9999-12-31T00:00:00Z'), validityDays: 2 });
    expectInvalidOption({ notBefore: new Date('2024-01-01T00:00:00Z'), validityDays: 1 / 100_000 });
    for (const dns of [
      'exa mple.org',
      'bücher.example',
      '-lead.example',
      'a..b',
      '',
      'a.*.example',
      'x'.repeat(64),
    ]) {
      expectInvalidOption({ subjectAltNames: { dns: [dns] } });
    }
    for (const ip of ['1.2.3', '::g', 'fe80::1%eth0', 'localhost', '']) {
      expectInvalidOption({ subjectAltNames: { ip: [ip] } });
    }
  });
});

/** Starts a TLS server on 127.0.0.1 port 0 that greets every client; closes it after the test file. */
const servers: tls.Server[] = [];

async function startServer(options: tls.TlsOptions): Promise<number> {
  const server = tls.createServer(options, (socket) => {
    socket.end('hello');
  });
  // A failed client handshake also fails on the server side; the client's error is what the tests check.
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Connects, reads the greeting, and resolves with what the client saw or the error it failed with. */
function connect(
  options: tls.ConnectionOptions,
): Promise<{ greeting: string; peerCertificate: tls.PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', ...options });
    let greeting = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      greeting += chunk;
    });
    socket.on('end', () => resolve({ greeting, peerCertificate: socket.getPeerCertificate() }));
    socket.on('error', reject);
  });
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('TLS handshakes with the generated certificate', () => {
  it('an EC certificate is trusted by name when pinned as the CA', async () => {
    const port = await startServer({ cert: ec.certPem, key: ec.keyPem });
    const { greeting, peerCertificate } = await connect({ port, servername: 'localhost', ca: ec.certPem });
    expect(greeting).toBe('hello');
    expect(peerCertificate.fingerprint256).toBe(ec.fingerprintSha256);
    expect(tls.checkServerIdentity('localhost', peerCertificate)).toBeUndefined();
    expect(tls.checkServerIdentity('127.0.0.1', peerCertificate)).toBeUndefined();
    expect(tls.checkServerIdentity('::1', peerCertificate)).toBeUndefined();
    expect(tls.checkServerIdentity('example.com', peerCertificate)).toBeInstanceOf(Error);
  });

  it('an EC certificate is trusted by IP address when dialed without a server name', async () => {
    const port = await startServer({ cert: ec.certPem, key: ec.keyPem });
    const { greeting } = await connect({ port, ca: ec.certPem });
    expect(greeting).toBe('hello');
  });

  it('a client refuses it for a name it does not carry or when it is not pinned', async () => {
    const port = await startServer({ cert: ec.certPem, key: ec.keyPem });
    await expect(connect({ port, servername: 'example.com', ca: ec.certPem })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    await expect(connect({ port, servername: 'localhost', ca: rsa.certPem })).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('an RSA certificate serves TLS 1.3 and TLS 1.2', async () => {
    const port = await startServer({ cert: rsa.certPem, key: rsa.keyPem });
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const { greeting, peerCertificate } = await connect({
        port,
        servername: 'turn.example.test',
        ca: rsa.certPem,
        maxVersion,
      });
      expect(greeting).toBe('hello');
      expect(peerCertificate.fingerprint256).toBe(rsa.fingerprintSha256);
    }
  });

  it('works as a client certificate too (clientAuth), as DTLS needs on both sides', async () => {
    const client = generateSelfSignedCertificate({ commonName: 'peer' });
    const port = await startServer({
      cert: ec.certPem,
      key: ec.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      ca: client.certPem,
    });
    const { greeting } = await connect({
      port,
      servername: 'localhost',
      ca: ec.certPem,
      cert: client.certPem,
      key: client.keyPem,
    });
    expect(greeting).toBe('hello');
  });
});

const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const requireOpenssl = process.env.CI === 'true';
if (!hasOpenssl && !requireOpenssl) {
  console.warn('certificate.test.ts: openssl is not on PATH, SKIPPING the OpenSSL interop checks');
}

describe.skipIf(!hasOpenssl && !requireOpenssl)('OpenSSL reads and verifies the certificates', () => {
  let directory: string;

  beforeAll(() => {
    if (!hasOpenssl) throw new Error('openssl is required when CI=true but is not on PATH');
    directory = mkdtempSync(join(tmpdir(), 'switchboard-cert-'));
  });

  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function openssl(args: string[]): string {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  for (const [label, pick, signature, keyUsage] of [
    ['EC', () => ec, 'ecdsa-with-SHA256', 'Digital Signature'],
    ['RSA', () => rsa, 'sha256WithRSAEncryption', 'Digital Signature, Key Encipherment'],
  ] as const) {
    it(`${label}: x509 -text shows every field, and verify accepts the self-signature`, () => {
      const certificate = pick();
      const path = join(directory, `${label}.pem`);
      writeFileSync(path, certificate.certPem);
      const text = openssl(['x509', '-noout', '-text', '-in', path]);
      expect(text).toContain('Version: 3 (0x2)');
      expect(text).toContain(`Signature Algorithm: ${signature}`);
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${keyUsage}\\n`));
      expect(text).toMatch(
        /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
      );
      expect(text).toMatch(
        /X509v3 Subject Alternative Name:\s+DNS:[^,]+, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/,
      );
      expect(openssl(['verify', '-check_ss_sig', '-CAfile', path, path]).trim()).toBe(`${path}: OK`);
      const fingerprint = openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', path]);
      expect(fingerprint.trim().split('=')[1]).toBe(certificate.fingerprintSha256);
    });
  }

  it('verify rejects a certificate whose signature was tampered with', () => {
    const tampered = Buffer.from(ec.certDer);
    tampered[tampered.length - 1] ^= 0x01;
    const path = join(directory, 'tampered.pem');
    const base64 = tampered
      .toString('base64')
      .match(/.{1,64}/g)!
      .join('\n');
    writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`);
    const result = spawnSync('openssl', ['verify', '-check_ss_sig', '-CAfile', path, path], {
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
  });
});
