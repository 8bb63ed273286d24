// Reads a process's CPU time and peak memory from /proc (Linux), for the cost figures. Also finds
// the Kafka broker and Temporal server processes, so their CPU during a scenario can be shown
// beside the worker's: on a small machine they compete for the same cores.

import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds the process has used so far (all its threads); NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Peak resident memory (VmHWM) in MiB; NaN if the process is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The direct children of a process; empty if it has none or is gone. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** When the process started, epoch ms (to the kernel's 10 ms ticks); NaN if it is gone. */
export function startedAt(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticksAfterBoot = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Date.now() - (uptimeSeconds - ticksAfterBoot / TICKS_PER_SECOND) * 1000;
  } catch {
    return NaN;
  }
}

/** PIDs whose command line contains every marker (e.g. the Kafka broker: "kafka.Kafka"). */
export function findPids(...markers: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (markers.every((m) => cmdline.includes(m))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU seconds of the servers the benchmark talks to, summed per server. */
export function serverCpu(servers: { kafka: number[]; temporal: number[] }): { kafka: number; temporal: number } {
  const sum = (pids: number[]) => pids.reduce((s, p) => s + (cpuSeconds(p) || 0), 0);
  return { kafka: sum(servers.kafka), temporal: sum(servers.temporal) };
}

/**
 * The Kafka broker and Temporal server the benchmark talks to. Other checkouts on the machine may
 * run their own pair (INFRA_DATA_DIR): a broker counts only if its properties file listens on
 * `kafkaPort`, a Temporal dev server only if started with `--port temporalPort`.
 */
export function findServers(kafkaPort: number, temporalPort: number): { kafka: number[]; temporal: number[] } {
  const kafka = findPids('kafka.Kafka').filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const properties = readFileSync(args[args.length - 1]!, 'utf8');
      return new RegExp(`^listeners=.*:${kafkaPort}(,|$)`, 'm').test(properties);
    } catch {
      return false;
    }
  });
  const temporal = findPids('temporal', 'start-dev', `--port ${temporalPort} `);
  return { kafka, temporal };
}
