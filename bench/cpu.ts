/**
 * CPU time of other processes and of the whole machine, read from Linux's
 * /proc (proc(5)). Elsewhere every reading is undefined and the benchmark
 * prints NA: the figures are there to tell whether the load generator or the
 * machine was saturated, not to be compared across systems.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc's CPU times (almost always 100). */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system, every thread) used so far by a process and all
 * its descendants, so a server that forks workers is counted whole.
 * Undefined when /proc is unreadable or the process is gone.
 */
export function processTreeCpuSeconds(rootPid: number): number | undefined {
  const own = statFields(rootPid);
  if (!own) return undefined;
  const childrenOf = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(Number(entry));
      // After the name: state (0), ppid (1), … utime (11), stime (12).
      if (!fields) continue;
      const parent = Number(fields[1]);
      const list = childrenOf.get(parent) ?? [];
      list.push(Number(entry));
      childrenOf.set(parent, list);
    }
  } catch {
    return undefined;
  }
  let ticks = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const fields = pid === rootPid ? own : statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
    pending.push(...(childrenOf.get(pid) ?? []));
  }
  return ticks / clockTicksPerSecond();
}

/** CPU seconds of one process split by thread and by mode. */
export interface ThreadCpuSeconds {
  /** The main thread (the one whose id is the process's): JavaScript, and its own system calls. */
  main: number;
  /** Every other thread: V8's helpers (garbage collection, compilation) and libuv's pool (file I/O). */
  others: number;
  /** Time in the kernel, all threads. */
  system: number;
}

/**
 * CPU seconds used so far by each thread of a process, summed as
 * ThreadCpuSeconds (Linux's /proc/PID/task). Threads that already ended are
 * not counted, so compare two readings of long-lived threads only.
 * Undefined when /proc is unreadable or the process is gone.
 */
export function threadCpuSeconds(pid: number): ThreadCpuSeconds | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const ticks = { main: 0, others: 0, system: 0 };
  for (const task of tasks) {
    let fields: string[];
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      continue;
    }
    // After the name: utime (11), stime (12).
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    if (Number(task) === pid) ticks.main += user + system;
    else ticks.others += user + system;
    ticks.system += system;
  }
  const hz = clockTicksPerSecond();
  return { main: ticks.main / hz, others: ticks.others / hz, system: ticks.system / hz };
}

/** Cumulative CPU time of the machine, all cores, in /proc/stat ticks. */
export interface MachineCpuSample {
  busy: number;
  total: number;
}

/** Reads the aggregate "cpu" line of /proc/stat; undefined when unavailable. */
export function machineCpuSample(): MachineCpuSample | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    if (!line.startsWith('cpu ')) return undefined;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    const idle = values[3] + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Share of all cores that was busy between two samples, 0–1; NaN when unknown. */
export function machineBusyFraction(
  before: MachineCpuSample | undefined,
  after: MachineCpuSample | undefined,
): number {
  if (!before || !after || after.total <= before.total) return Number.NaN;
  return (after.busy - before.busy) / (after.total - before.total);
}
