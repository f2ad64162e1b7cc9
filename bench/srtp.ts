/**
 * SRTP benchmark: packets protected and unprotected per second on one core,
 * for SRTP_AEAD_AES_128_GCM and SRTP_AES128_CM_HMAC_SHA1_80, beside two
 * references measured in the same run:
 *
 * - `openssl speed -evp aes-128-gcm -bytes SIZE`: the raw AES-GCM throughput
 *   of the OpenSSL build on this machine, as packets of SIZE bytes per second
 *   (the ceiling: no per-packet set-up, no SRTP);
 * - Node's own floor: a bare `createCipheriv('aes-128-gcm')` + `setAAD` +
 *   `update` + `final` + `getAuthTag` per packet, which is what SRTP-GCM
 *   costs at least through node:crypto.
 *
 *   npm run bench:srtp -- [--size 1200] [--duration 2] [--rounds 3] [--no-openssl]
 *
 * Protect runs one sender over a 12-byte-header RTP packet whose sequence
 * number advances, into one reused output buffer (protectRtpTo, the
 * caller-owned-buffer path); unprotect replays batches of 4096 packets
 * protected beforehand, each batch through a fresh receiving session (the
 * replay window would refuse a second pass), also into a reused buffer. Figures are medians over the rounds.
 *
 * The last line of the output is `key=value` figures for scripts:
 * protect_pps (AES-GCM), unprotect_pps, cm_protect_pps, cm_unprotect_pps,
 * node_gcm_pps, openssl_gcm_pps and ratio = protect_pps / openssl_gcm_pps.
 * Environment: BENCH_SIZE, BENCH_DURATION, BENCH_ROUNDS (flags win),
 * BENCH_OPENSSL (openssl's binary, default `openssl` on PATH).
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { cpus } from 'node:os';
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, type SrtpProfile } from '../src/srtp/profile.js';
import { SrtpSession } from '../src/srtp/session.js';
import { fixed, integer, keyValue, median, readBenchFlags, runBenchmark, seconds } from './cli.js';

/** Settings of a benchmark run. */
interface BenchOptions {
  packetSize: number;
  durationSeconds: number;
  rounds: number;
  openssl: string | undefined;
}

const USAGE = `Usage: npm run bench:srtp -- [flags]

  --size BYTES     RTP packet size, header included (default 1200; BENCH_SIZE)
  --duration S     measured seconds per figure and round (default 2; BENCH_DURATION)
  --rounds N       rounds; figures are medians (default 3; BENCH_ROUNDS)
  --no-openssl     skip the openssl speed reference (its figures print NA)
  -h, --help       this text

BENCH_OPENSSL names openssl's binary (default: openssl on PATH).
`;

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      size: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      'no-openssl': { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  return {
    packetSize: integer(pick(values.size, 'BENCH_SIZE', '1200'), 'size', 12, 65_000),
    durationSeconds: seconds(pick(values.duration, 'BENCH_DURATION', '2'), 'duration', 0.05, 600),
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '3'), 'rounds', 1, 100),
    openssl: values['no-openssl'] ? undefined : env['BENCH_OPENSSL'] || 'openssl',
  };
}

/** Packets per second of `step`, called in bursts of 64 until `durationSeconds` have passed. */
function rate(durationSeconds: number, step: (count: number) => void): number {
  const deadline = durationSeconds * 1e9;
  const start = process.hrtime.bigint();
  let count = 0;
  let elapsed = 0;
  while (elapsed < deadline) {
    for (let i = 0; i < 64; i++) step(count++);
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return count / (elapsed / 1e9);
}

/** An RTP packet of `size` bytes: fixed 12-byte header, PT 96, SSRC 0x1234abcd. */
function rtpPacket(size: number): Buffer {
  const packet = Buffer.alloc(size, 0xa5);
  packet[0] = 0x80;
  packet[1] = 96;
  packet.writeUInt32BE(0, 4);
  packet.writeUInt32BE(0x1234abcd, 8);
  return packet;
}

function newSession(profile: SrtpProfile): SrtpSession {
  return new SrtpSession({
    profile,
    masterKey: Buffer.alloc(profile.keyLength, 0x11),
    masterSalt: Buffer.alloc(profile.saltLength, 0x22),
  });
}

/** Protected packets per second through one sending session. */
function protectRate(profile: SrtpProfile, size: number, durationSeconds: number): number {
  const sender = newSession(profile);
  const packet = rtpPacket(size);
  const output = Buffer.alloc(size + 64);
  return rate(durationSeconds, (count) => {
    packet.writeUInt16BE(count & 0xffff, 2);
    const result = sender.protectRtpTo(packet, output);
    if (!(result instanceof Buffer)) throw result;
  });
}

const BATCH = 4096;

/** Unprotected packets per second, a fresh receiving session per batch. */
function unprotectRate(profile: SrtpProfile, size: number, durationSeconds: number): number {
  const sender = newSession(profile);
  const packet = rtpPacket(size);
  const batch: Buffer[] = [];
  for (let i = 0; i < BATCH; i++) {
    packet.writeUInt16BE(i, 2);
    const result = sender.protectRtp(packet);
    if (!(result instanceof Buffer)) throw result;
    batch.push(result);
  }
  let receiver = newSession(profile);
  const output = Buffer.alloc(size + 64);
  return rate(durationSeconds, (count) => {
    const slot = count % BATCH;
    if (slot === 0 && count > 0) receiver = newSession(profile);
    const result = receiver.unprotectRtpTo(batch[slot], output);
    if (!(result instanceof Buffer)) throw result;
  });
}

/** Node's floor for SRTP-GCM: one bare AES-128-GCM seal per packet, nothing else. */
function nodeGcmRate(size: number, durationSeconds: number): number {
  const key = Buffer.alloc(16, 0x11);
  const iv = Buffer.alloc(12, 0x22);
  const header = Buffer.alloc(12, 0x80);
  const payload = Buffer.alloc(size - 12, 0xa5);
  return rate(durationSeconds, (count) => {
    iv.writeUInt32BE(count, 8);
    const cipher = createCipheriv('aes-128-gcm', key, iv);
    cipher.setAAD(header);
    cipher.update(payload);
    cipher.final();
    cipher.getAuthTag();
  });
}

/**
 * Packets of `size` bytes per second from `openssl speed -evp aes-128-gcm`,
 * or NaN (with the reason) when openssl is missing or its table does not parse.
 */
function opensslGcmRate(
  openssl: string,
  size: number,
  durationSeconds: number,
): { pps: number; reason?: string; version?: string } {
  const wholeSeconds = String(Math.max(1, Math.round(durationSeconds)));
  const run = spawnSync(
    openssl,
    ['speed', '-evp', 'aes-128-gcm', '-bytes', String(size), '-seconds', wholeSeconds],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (run.error) return { pps: Number.NaN, reason: run.error.message };
  if (run.status !== 0) return { pps: Number.NaN, reason: `exit ${run.status}: ${run.stderr.trim()}` };
  // The table's last line: "AES-128-GCM    1846413.60k", in thousands of bytes per second.
  const match = /^aes-128-gcm\s+([\d.]+)k\s*$/im.exec(run.stdout);
  if (!match) return { pps: Number.NaN, reason: `no AES-128-GCM row in:\n${run.stdout}` };
  const version = spawnSync(openssl, ['version'], { encoding: 'utf8' }).stdout?.trim();
  return { pps: (Number(match[1]) * 1000) / size, version };
}

async function run(options: BenchOptions): Promise<void> {
  const { packetSize: size, durationSeconds: duration, rounds } = options;
  console.log(
    `SRTP on one core: ${size}-byte RTP packets, ${rounds} round(s) of ${duration} s per figure; ` +
      `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`,
  );
  const figures = {
    gcmProtect: [] as number[],
    gcmUnprotect: [] as number[],
    cmProtect: [] as number[],
    cmUnprotect: [] as number[],
    nodeGcm: [] as number[],
    opensslGcm: [] as number[],
  };
  let opensslVersion: string | undefined;
  for (let round = 1; round <= rounds; round++) {
    figures.gcmProtect.push(protectRate(AEAD_AES_128_GCM, size, duration));
    figures.gcmUnprotect.push(unprotectRate(AEAD_AES_128_GCM, size, duration));
    figures.cmProtect.push(protectRate(AES128_CM_HMAC_SHA1_80, size, duration));
    figures.cmUnprotect.push(unprotectRate(AES128_CM_HMAC_SHA1_80, size, duration));
    figures.nodeGcm.push(nodeGcmRate(size, duration));
    if (options.openssl) {
      const openssl = opensslGcmRate(options.openssl, size, duration);
      if (openssl.reason) {
        console.error(`\n*** openssl speed FAILED: ${openssl.reason}\n*** openssl_gcm_pps=NA ratio=NA\n`);
      }
      opensslVersion = openssl.version ?? opensslVersion;
      figures.opensslGcm.push(openssl.pps);
    }
    console.log(
      `round ${round}: gcm protect ${fixed(figures.gcmProtect.at(-1)!, 0)} pkt/s, ` +
        `unprotect ${fixed(figures.gcmUnprotect.at(-1)!, 0)}; ` +
        `cm protect ${fixed(figures.cmProtect.at(-1)!, 0)}, unprotect ${fixed(figures.cmUnprotect.at(-1)!, 0)}; ` +
        `node gcm ${fixed(figures.nodeGcm.at(-1)!, 0)}; openssl gcm ${fixed(figures.opensslGcm.at(-1) ?? Number.NaN, 0)}`,
    );
  }
  if (!options.openssl) {
    console.error('\n*** openssl reference SKIPPED (--no-openssl): openssl_gcm_pps=NA ratio=NA\n');
  }

  const protectPps = median(figures.gcmProtect);
  const opensslPps = median(figures.opensslGcm);
  const nodePps = median(figures.nodeGcm);
  const gbps = (pps: number) => fixed((pps * size * 8) / 1e9, 2);
  console.log('');
  console.log('                         pkt/s      Gbit/s   µs/pkt');
  const row = (label: string, pps: number) =>
    console.log(
      `${label.padEnd(22)} ${fixed(pps, 0).padStart(10)} ${gbps(pps).padStart(9)} ${fixed(1e6 / pps, 2).padStart(8)}`,
    );
  row('AES-GCM protect', protectPps);
  row('AES-GCM unprotect', median(figures.gcmUnprotect));
  row('AES-CM+SHA1 protect', median(figures.cmProtect));
  row('AES-CM+SHA1 unprotect', median(figures.cmUnprotect));
  row('node bare GCM seal', nodePps);
  row(`openssl speed GCM`, opensslPps);
  if (opensslVersion) console.log(`(${opensslVersion})`);
  console.log('');
  console.log(
    [
      `size=${size}`,
      keyValue('protect_pps', protectPps, 0),
      keyValue('unprotect_pps', median(figures.gcmUnprotect), 0),
      keyValue('cm_protect_pps', median(figures.cmProtect), 0),
      keyValue('cm_unprotect_pps', median(figures.cmUnprotect), 0),
      keyValue('node_gcm_pps', nodePps, 0),
      keyValue('openssl_gcm_pps', opensslPps, 0),
      keyValue('ratio', protectPps / opensslPps, 3),
      keyValue('node_ratio', protectPps / nodePps, 3),
    ].join(' '),
  );
}

runBenchmark('bench:srtp', USAGE, parseOptions, run);
