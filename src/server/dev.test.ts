import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDevCertificate, createDevCredentials, formatDevBanner } from './dev.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('createDevCredentials', () => {
  it('makes a fresh password and secret each time', () => {
    const a = createDevCredentials();
    const b = createDevCredentials();
    expect(a.userName).toBe('dev');
    expect(a.password).not.toBe(b.password);
    expect(a.secret).not.toBe(b.secret);
    expect(a.password).not.toBe(a.secret);
    // Safe to paste into a shell and into --user NAME:PASSWORD.
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.secret).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('createDevCertificate', () => {
  it('writes a self-signed certificate for localhost and a private key only the owner reads', () => {
    const { certFile, keyFile } = createDevCertificate();
    const certificate = new X509Certificate(readFileSync(certFile));
    expect(certificate.subject).toContain('CN=localhost');
    expect(certificate.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))).toBe(true);
    expect(statSync(keyFile).mode & 0o077).toBe(0);
  });
});

describe('formatDevBanner', () => {
  const credentials = { userName: 'dev', password: 'pw-123', secret: 'secret-456' };
  const now = Date.UTC(2030, 0, 1);

  it('shows the credentials and coturn commands for the bound port', () => {
    const banner = formatDevBanner(credentials, [{ host: '127.0.0.1', port: 40000, family: 4 }], [], now);
    expect(banner).toContain('pw-123');
    expect(banner).toContain('secret-456');
    expect(banner).toContain(`username ${now / 1000 + 86_400}:dev`);
    expect(banner).toContain('turnutils_stunclient -p 40000 127.0.0.1');
    expect(banner).toContain("turnutils_uclient -y -s -n 10 -u dev -w 'pw-123' -p 40000 127.0.0.1");
    expect(banner).toContain("turnutils_uclient -y -s -n 10 -u dev -W 'secret-456' -p 40000 127.0.0.1");
  });

  it('dials loopback for a wildcard listener and prefers IPv4', () => {
    const banner = formatDevBanner(
      credentials,
      [
        { host: '::', port: 1, family: 6 },
        { host: '0.0.0.0', port: 2, family: 4 },
      ],
      [],
      now,
    );
    expect(banner).toContain('turnutils_stunclient -p 2 127.0.0.1');
    expect(formatDevBanner(credentials, [{ host: '::', port: 3, family: 6 }], [], now)).toContain(
      'turnutils_stunclient -p 3 ::1',
    );
  });

  it.skipIf(!hasOpenssl)('prints the REST password that the README openssl recipe computes', () => {
    const banner = formatDevBanner(credentials, [{ host: '127.0.0.1', port: 3478, family: 4 }], [], now);
    const [, username, password] = /username (\S+)\n\s+password (\S+)/.exec(banner)!;
    // The recipe from README.md, verbatim but for the variables.
    const script = `printf '%s' "$username" | openssl dgst -sha1 -hmac "$secret" -binary | base64`;
    const fromOpenssl = execFileSync('sh', ['-c', script], {
      env: { ...process.env, username, secret: credentials.secret },
      encoding: 'utf8',
    }).trim();
    expect(password).toBe(fromOpenssl);
  });
});
