import fs from 'node:fs';

/**
 * CPU time of the processes a benchmark runs (Linux /proc), so a figure such as "2 workers vs 1"
 * can be read against what the machine had left: on 2 cores shared with PostgreSQL and Temporal,
 * a second worker can only help as far as the first left a core idle.
 */
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, seconds. */
  own: number;
  /** cutime + cstime: children it has waited for (PostgreSQL's ended backends), seconds. */
  reaped: number;
  args: string;
}

function readProc(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (i: number) => Number(f[i - 3]);
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { pid, ppid: ticks(4), own: (ticks(14) + ticks(15)) / TICKS_PER_SECOND, reaped: (ticks(16) + ticks(17)) / TICKS_PER_SECOND, args };
  } catch {
    return undefined; // ended meanwhile
  }
}

function allProcs(): ProcStat[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcStat => !!p);
}

/** CPU seconds used so far by a process tree: its root found by `isRoot`, its live descendants, and the children it reaped. */
function treeSeconds(procs: ProcStat[], isRoot: (p: ProcStat) => boolean): number {
  const roots = procs.filter(isRoot);
  const inTree = new Set(roots.map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return procs.filter((p) => inTree.has(p.pid)).reduce((sum, p) => sum + p.own + p.reaped, 0);
}

export interface CpuGroups {
  [name: string]: (p: ProcStat) => boolean;
}

/** The bench's own services: process trees recognised by pid or by the port in their command line. */
export function benchGroups(o: { workerPids: number[]; apiPid: number; postgresPort: number; temporalPort: number }): CpuGroups {
  return {
    'worker(s)': (p) => o.workerPids.includes(p.pid),
    API: (p) => p.pid === o.apiPid,
    PostgreSQL: (p) => / -D .* -p (\d+)/.exec(p.args)?.[1] === String(o.postgresPort),
    Temporal: (p) => p.args.includes('start-dev') && p.args.includes(`--port ${o.temporalPort} `),
  };
}

export type CpuSnapshot = { at: number; seconds: Record<string, number>; machine: number };

/** Busy CPU seconds of the whole machine (all cores, anything running), from /proc/stat. */
function machineSeconds(): number {
  const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export function cpuSnapshot(groups: CpuGroups): CpuSnapshot {
  const procs = allProcs();
  return {
    at: Date.now(),
    seconds: Object.fromEntries(Object.entries(groups).map(([name, isRoot]) => [name, treeSeconds(procs, isRoot)])),
    machine: machineSeconds(),
  };
}

export interface CpuUse {
  /** Seconds between the two snapshots. */
  wall: number;
  /** Cores the bench's services kept busy on average (their CPU seconds / wall). */
  busy: number;
  /** "worker(s) 9.1 s, PostgreSQL 6.0 s, ...: 1.62 of 2 cores busy over 10.2 s (whole machine 1.70)". */
  text: string;
}

export function cpuUse(from: CpuSnapshot, to: CpuSnapshot, cores: number): CpuUse {
  const wall = (to.at - from.at) / 1000;
  const used = Object.keys(to.seconds).map((name) => [name, to.seconds[name] - (from.seconds[name] ?? 0)] as const);
  const busy = used.reduce((s, [, v]) => s + v, 0) / wall;
  const machine = (to.machine - from.machine) / wall;
  return { wall, busy, text: `${used.map(([name, v]) => `${name} ${v.toFixed(1)} s`).join(', ')}: ${busy.toFixed(2)} of ${cores} cores busy over ${wall.toFixed(1)} s (whole machine ${machine.toFixed(2)})` };
}

export const describeCpu = (from: CpuSnapshot, to: CpuSnapshot, cores: number): string => cpuUse(from, to, cores).text;

/**
 * The most any number of worker processes can speed up a phase that kept `busy` of `cores` busy:
 * the same CPU work spread over every core. A machine whose cores one worker and PostgreSQL
 * already fill cannot show a second worker's gain, however well the work is shared.
 */
export const speedupBound = (busy: number, cores: number): number => cores / busy;
