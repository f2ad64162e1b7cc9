/**
 * Runs coturn's client tools, `turnutils_stunclient` and `turnutils_uclient`,
 * and reads their output.
 *
 * Command lines verified against coturn 4.6.1's own turnserver (see
 * coturn-harness.test.ts, which keeps checking them):
 *
 *   turnutils_stunclient -p PORT 127.0.0.1
 *     → "0: : IPv4. UDP reflexive addr: 127.0.0.1:45931" (printed twice), exit 0.
 *     A server that never answers makes it wait forever: always run it with a timeout.
 *     Do not use -f (RFC 5780): against a server with one address it waits forever too.
 *
 *   turnutils_uclient -v -y -c -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1
 *     two clients relay to each other (-y) over channels (ChannelData), no RTCP
 *     allocations (-c). Ends with
 *       "5: : start_mclient: tot_send_msgs=20, tot_recv_msgs=20"
 *       "5: : Total lost packets 0 (0.000000%), total send dropped 0 (0.000000%)"
 *   add -s: Send and Data indications instead of channels;
 *   add -D: ChannelData padded to 4 bytes (as over TCP; optional over UDP, RFC 8656 §12.5);
 *   drop -c: every client also makes an "RTCP" allocation: the first one asks
 *     EVEN-PORT with the R bit and the next one sends the RESERVATION-TOKEN it got
 *     (RFC 8656 §7.2). Even with -c, each Allocate randomly carries EVEN-PORT (R=0) or not.
 *   REST credentials: -u alice -W SECRET (instead of -w): the username becomes
 *     "<now+86400>:alice" and the password base64(HMAC-SHA1(SECRET, username)).
 *     Without -u the username is the bare timestamp.
 *
 * How it fails:
 * - Rejected Allocate (401 with wrong credentials, or any error but 437):
 *   "0: : ERROR: Cannot complete Allocation", exit code 255, immediately.
 *   Failing CreatePermission / ChannelBind print "create permission error N (reason)"
 *   / "channel bind: error N (reason)" and exit 255.
 * - Nothing listening: "recv: Connection refused", exit 255 (ICMP on loopback).
 * - A server that never answers: it waits forever (no retransmission limit).
 * - Lost data: exit code 0 all the same! Only "Total lost packets N (…%)" tells,
 *   after waiting ~10 s more for the missing packets. Hence the parsing.
 *
 * Counting: with -y, -m is rounded up to a multiple of 2 (-c) or 4 (with RTCP),
 * each of those sessions sends -n messages to its partner. Sending starts
 * 1–6 s (random) after set-up, so a run takes 3–7 s however small -n is.
 * The "received" count is capped at the sent count, so duplicates do not show.
 * Before its clients, uclient makes one "probe" allocation that it abandons
 * without a Refresh of 0 (it stays until its lifetime, 777 s, runs out).
 */
import { describeResult, type ProcessResult, runProcess } from '../helpers/process.js';

/** Options of one `turnutils_uclient` run in client-to-client mode (-y). */
export interface UclientOptions {
  /** TURN server port on 127.0.0.1. */
  port: number;
  /** Long-term credentials; or `restSecret` with `username` as the user part. */
  username: string;
  password?: string;
  /** TURN REST API secret (-W): uclient derives the timed username and password. */
  restSecret?: string;
  /** -s: Send/Data indications instead of ChannelData. */
  sendIndications?: boolean;
  /** Without -c: RTCP allocations with EVEN-PORT R + RESERVATION-TOKEN. Default false. */
  rtcp?: boolean;
  /** -D: padded ChannelData. */
  padding?: boolean;
  /** -m. Default 2. */
  clients?: number;
  /** -n, per session. Default 10. */
  messages?: number;
  /** -l, bytes. Default 400. */
  messageLength?: number;
  /** Kill after this long. Default 40 000 ms (a lossy run takes ~20 s). */
  timeoutMs?: number;
  /** Client-to-server transport: -t for TCP, -t -S for TLS. Default UDP. */
  transport?: 'udp' | 'tcp' | 'tls';
  /** -T: RFC 6062 TCP allocations (implies TCP to the server, -y and -c). */
  tcpRelay?: boolean;
  /** -x: an IPv6 relayed address. */
  ipv6Relay?: boolean;
}

/** The command-line arguments for `turnutils_uclient`. */
export function uclientArgs(options: UclientOptions): string[] {
  const args = ['-v', '-y'];
  if (options.tcpRelay) args.push('-T');
  else if (options.transport === 'tcp' || options.transport === 'tls') args.push('-t');
  if (options.transport === 'tls') args.push('-S');
  if (options.ipv6Relay) args.push('-x');
  if (options.sendIndications) args.push('-s');
  if (!options.rtcp) args.push('-c');
  if (options.padding) args.push('-D');
  args.push('-m', String(options.clients ?? 2), '-n', String(options.messages ?? 10));
  args.push('-l', String(options.messageLength ?? 400), '-u', options.username);
  if (options.restSecret !== undefined) args.push('-W', options.restSecret);
  else args.push('-w', options.password ?? '');
  args.push('-p', String(options.port), '127.0.0.1');
  return args;
}

/** How many messages uclient will send in total for these options (see "Counting" above). */
export function expectedUclientMessages(options: UclientOptions): number {
  const clients = Math.max(1, options.clients ?? 2);
  const multiple = options.rtcp ? 4 : 2;
  const sessions = Math.ceil(clients / multiple) * multiple;
  return sessions * (options.messages ?? 10);
}

/** What a uclient run reported. */
export interface UclientReport {
  /** Final "tot_send_msgs"; undefined when it never got that far. */
  sent?: number;
  /** Final "tot_recv_msgs" (capped at `sent` by uclient). */
  received?: number;
  /** "Total lost packets N". */
  lost?: number;
  /** Relay addresses the server gave ("Received relay addr: …", needs -v). */
  relayed: { address: string; port: number }[];
  /** Successful ChannelBinds ("success: 0x4000", needs -v). */
  channelsBound: number[];
  /** Successful CreatePermissions ("cp response received" then "success", needs -v). */
  permissionsCreated: number;
  /** Lines that report an error: "ERROR: …", "error 401 (Unauthorized)", "recv: …". */
  errors: string[];
}

/** Reads uclient's output (stdout and stderr together). */
export function parseUclientOutput(text: string): UclientReport {
  const report: UclientReport = { relayed: [], channelsBound: [], permissionsCreated: 0, errors: [] };
  let lastResponse = '';
  for (const rawLine of text.split('\n')) {
    // Lines look like "5: : message"; the number is seconds since start.
    const line = rawLine.replace(/^\d+: : /, '').trim();
    const totals = /^start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)$/.exec(line);
    const lost = /^Total lost packets (\d+)/.exec(line);
    const relayed = /Received relay addr: (\d+\.\d+\.\d+\.\d+|[0-9a-f:]+):(\d+)$/i.exec(line);
    const channel = /^success: 0x([0-9a-f]+)$/i.exec(line);
    if (totals) {
      report.sent = Number(totals[1]);
      report.received = Number(totals[2]);
    } else if (lost) {
      report.lost = Number(lost[1]);
    } else if (relayed) {
      report.relayed.push({ address: relayed[1], port: Number(relayed[2]) });
    } else if (channel) {
      report.channelsBound.push(Number.parseInt(channel[1], 16));
    } else if (line === 'success' && lastResponse === 'cp response received:') {
      report.permissionsCreated++;
    } else if (/^ERROR\b|\berror \d{3}\b|^(recv|send|connect|socket): /i.test(line)) {
      report.errors.push(line);
    }
    if (line.endsWith('received:')) lastResponse = line;
  }
  return report;
}

/** One finished uclient run. */
export interface UclientRun {
  options: UclientOptions;
  result: ProcessResult;
  report: UclientReport;
  /** Messages it should have sent. */
  expected: number;
  /** Command line and output tail, for assertion messages. */
  describe(): string;
}

/** Runs `turnutils_uclient` with a timeout and parses what it printed. */
export async function runUclient(options: UclientOptions): Promise<UclientRun> {
  const result = await runProcess('turnutils_uclient', uclientArgs(options), {
    timeoutMs: options.timeoutMs ?? 40_000,
  });
  const report = parseUclientOutput(`${result.stdout}\n${result.stderr}`);
  return {
    options,
    result,
    report,
    expected: expectedUclientMessages(options),
    describe: () => describeResult(result),
  };
}

/** Reads "UDP reflexive addr: A:P" from stunclient's output. */
export function parseStunclientOutput(text: string): { address: string; port: number } | undefined {
  const match = /UDP reflexive addr: (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(text);
  return match ? { address: match[1], port: Number(match[2]) } : undefined;
}

/** Runs `turnutils_stunclient -p PORT 127.0.0.1` with a timeout (it never gives up by itself). */
export async function runStunclient(
  port: number,
  timeoutMs = 10_000,
): Promise<{ result: ProcessResult; mapped?: { address: string; port: number }; describe(): string }> {
  const result = await runProcess('turnutils_stunclient', ['-p', String(port), '127.0.0.1'], { timeoutMs });
  return { result, mapped: parseStunclientOutput(result.stdout), describe: () => describeResult(result) };
}
