/**
 * Messages between the bench parent and its child processes (IPC), and the figures a child samples
 * about itself so the parent can tell how busy the server's core was during a measured window.
 */
import type { CommitStats } from './bench-app.js';

export interface ProcessSample {
  /** process.cpuUsage() user + system, microseconds. */
  cpuMicros: number;
  /** performance.eventLoopUtilization() so far. */
  loop: { idle: number; active: number };
  commits: CommitStats;
  /** Named event counts the server keeps (webhook outcomes, Stripe calls); empty for most servers. */
  counts: Record<string, number>;
  at: number;
}

export type ParentMessage =
  | { type: 'sample' }
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'sample'; sample: ProcessSample }
  | { type: 'stopped' }
  | { type: 'profile-started' }
  | { type: 'profile-written' }
  | { type: 'result'; result: unknown };

export function sampleProcess(commits: CommitStats, counts: Record<string, number> = {}): ProcessSample {
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  return {
    cpuMicros: cpu.user + cpu.system,
    loop: { idle: loop.idle, active: loop.active },
    commits: { ...commits },
    counts: { ...counts },
    at: performance.now(),
  };
}

/** Share of one core used, event loop utilization and commit figures between two samples. */
export function sampleDelta(before: ProcessSample, after: ProcessSample) {
  const elapsedMs = after.at - before.at;
  const commits = after.commits.commits - before.commits.commits;
  const debits = after.commits.debits - before.commits.debits;
  const loopActive = after.loop.active - before.loop.active;
  const loopIdle = after.loop.idle - before.loop.idle;
  return {
    cpu: (after.cpuMicros - before.cpuMicros) / 1000 / elapsedMs,
    eventLoop: loopActive / Math.max(1e-9, loopActive + loopIdle),
    commits,
    debitsPerCommit: commits === 0 ? 0 : debits / commits,
    /** Debits committed in the window (usage events written). */
    debits,
    /** Share of the window spent inside commitUsage. */
    commitShare: (after.commits.commitMs - before.commits.commitMs) / elapsedMs,
    /** How much each of the server's named counts grew in the window. */
    counts: Object.fromEntries(
      Object.entries(after.counts).map(([name, value]) => [name, value - (before.counts[name] ?? 0)]),
    ),
  };
}

export type SampleDelta = ReturnType<typeof sampleDelta>;
