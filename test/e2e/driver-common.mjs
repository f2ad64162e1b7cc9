/**
 * What the browser drivers (browser-driver.mjs, recording-driver.mjs) share:
 * Chromium launched with the flags for WebRTC tests, polling, the development
 * server started from a build (with its log), the demo page opened in a
 * browser context of its own, and the run's deadline. Plain JavaScript like
 * the drivers, which Node runs as they are.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium's flags for WebRTC tests (INTEROP.md): fake devices, loopback candidates, no background traffic. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

/** Launches the Chromium at `executablePath` with the flags above; `headless: false` shows its windows. */
export function launchChromium(executablePath, { headless = true } = {}) {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless });
}

/** Diagnostic lines of the driver `name`, printed before the result (on stderr, so stdout's last line stays the JSON). */
export function noteAs(name) {
  return (text) => process.stderr.write(`[${name}] ${text}\n`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `intervalMs` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function waitFor(probe, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!value && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await probe();
  }
  return value;
}

/** Waits for the demo page to be done joining; returns its state then (`joined` when it got in). */
export function joinedState(page, timeoutMs, intervalMs) {
  return waitFor(
    () =>
      page
        .evaluate(() => window.switchboardDemo?.state())
        .then((s) => (s === 'joining' || s === 'idle' ? null : s)),
    timeoutMs,
    intervalMs,
  );
}

/**
 * Starts `switchboard start --dev` from the build in `dist` on loopback with
 * free ports, its rooms of `roomMode`, with `extraArgs` after the rest, and
 * resolves with its HTTP port, read from the JSON log line that announces the
 * HTTP service, its log (the last 500 entries) and its warnings.
 */
export async function startServer({ dist, roomMode, extraArgs = [] }) {
  const args = [
    join(dist, 'cli', 'main.js'),
    'start',
    '--dev',
    ...['--listen', '127.0.0.1:0', '--tls-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
    ...['--room-mode', roomMode, '--media-workers', '1', '--media-address', '127.0.0.1'],
    ...['--media-udp-port', '0', '--media-tcp-port', '0'],
    ...extraArgs,
  ];
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SWITCHBOARD_')),
  );
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Whatever ends this process ends the server too (playwright does the same for the browser).
  process.on('exit', () => child.kill('SIGKILL'));
  const log = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start in 15 s:\n${stderr}`)), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it listened:\n${stderr}`));
    });
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        log.push(entry);
        if (log.length > 500) log.shift();
        if (typeof entry.msg === 'string' && entry.msg.startsWith('HTTP service started')) {
          const listen = Array.isArray(entry.listen) ? String(entry.listen[0]) : '';
          const match = /:(\d+)$/.exec(listen);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          } else reject(new Error(`cannot read the HTTP port from ${line}`));
        }
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    log,
    /** The log entries of level warn or error, for the report. */
    warnings() {
      return log.filter((entry) => entry.level === 'error' || entry.level === 'warn' || entry.level >= 40);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/**
 * Opens the demo page as a browser context of its own (its own "user"),
 * joining `room` as `name`. Page errors, and console messages of the types in
 * `consoleTypes`, go to `problems`; `relay` asks the page to send its media
 * through TURN; `prepare` runs on the context before the page opens.
 */
export async function openDemoPage(
  browser,
  baseUrl,
  { room, name, problems, consoleTypes = ['error'], relay = false, prepare },
) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  await prepare?.(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`${name}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (consoleTypes.includes(message.type()))
      problems.push(`${name}: console.${message.type()}: ${message.text()}`);
  });
  const query = new URLSearchParams({ room, name, autojoin: '1' });
  if (relay) query.set('relay', '1');
  await page.goto(`${baseUrl}/?${query}`);
  return { name, context, page };
}

/**
 * Ends the run once `deadlineMs` (the --deadline-ms flag) passes: `result`
 * is printed with the overrun among its failures, and the process exits,
 * taking the server and browser with it. Returns the timer, to clear at the end.
 */
export function startDeadline(result, deadlineMs) {
  const deadline = setTimeout(() => {
    result.failures.push(`the run took longer than --deadline-ms ${deadlineMs}`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(1);
  }, Number(deadlineMs));
  deadline.unref();
  return deadline;
}
