/**
 * TLS 1.2 PRF vectors: the P_SHA256 and P_SHA384 vectors circulated on the
 * IETF TLS list (secret, seed and label "test label"), used by many TLS
 * implementations' test suites.
 */
import { describe, expect, it } from 'vitest';
import { exportKeyingMaterial, prf, verifyData } from './prf.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

describe('TLS 1.2 PRF', () => {
  it('matches the P_SHA256 vector (100 bytes)', () => {
    const out = prf(
      'sha256',
      hex('9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35'),
      'test label',
      hex('a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c'),
      100,
    );
    expect(out.toString('hex')).toBe(
      hex(`e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
           6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b
           ab 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff
           f7 01 87 34 7b 66`).toString('hex'),
    );
  });

  it('matches the P_SHA384 vector (148 bytes)', () => {
    const out = prf(
      'sha384',
      hex('b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df'),
      'test label',
      hex('cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65'),
      148,
    );
    expect(out.toString('hex')).toBe(
      hex(`7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07 e8 1c 83 cd
           e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00 88 4f 9d c2 36 f8 0e
           dd 8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73 eb c2 c5 fd 4a bf da d0 5d 91
           84 25 9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2 60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9
           e9 ae e6 91 c8 f3 a2 68 54 30 8d 5e aa 3b e8 5e 09 90 70 3d 73 e5 6f`).toString('hex'),
    );
  });

  it('is a prefix-stable stream: a shorter output is a prefix of a longer one', () => {
    const secret = Buffer.from('secret');
    const seed = Buffer.from('seed');
    expect(prf('sha256', secret, 'x', seed, 100).subarray(0, 33)).toEqual(
      prf('sha256', secret, 'x', seed, 33),
    );
  });

  it('Finished verify_data is 12 bytes and depends on the sender', () => {
    const master = Buffer.alloc(48, 7);
    const transcript = Buffer.from('handshake messages');
    const client = verifyData('sha256', master, 'client', transcript);
    expect(client).toHaveLength(12);
    expect(client).not.toEqual(verifyData('sha256', master, 'server', transcript));
  });

  it('the exporter appends the context with its length (RFC 5705 §4)', () => {
    const master = Buffer.alloc(48, 1);
    const cr = Buffer.alloc(32, 2);
    const sr = Buffer.alloc(32, 3);
    const without = exportKeyingMaterial('sha256', master, 'EXPORTER-test', cr, sr, 32);
    expect(without).toEqual(prf('sha256', master, 'EXPORTER-test', Buffer.concat([cr, sr]), 32));
    const context = Buffer.from('ctx');
    const withContext = exportKeyingMaterial('sha256', master, 'EXPORTER-test', cr, sr, 32, context);
    expect(withContext).toEqual(
      prf('sha256', master, 'EXPORTER-test', Buffer.concat([cr, sr, Buffer.from([0, 3]), context]), 32),
    );
    // An empty context is not the same as no context.
    expect(exportKeyingMaterial('sha256', master, 'EXPORTER-test', cr, sr, 32, Buffer.alloc(0))).not.toEqual(
      without,
    );
  });
});
