/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and lists the functions with the most self time, and
 * the same time grouped by where the code lives (Fastify, the SQLite driver, Tollgate's core, ...),
 * to tell what bounds a server. Also a command: `npx tsx bench/profile-summary.ts <file> [top]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: ProfileLine[];
  areas: ProfileLine[];
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const lines = (map: Map<string, number>, count: number): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => ({ name, selfMs: micros / 1000, share: total === 0 ? 0 : micros / total }));
  return { totalMs: total / 1000, functions: lines(byFunction, top), areas: lines(byArea, 20) };
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const work = url.indexOf('/src/');
  if (work >= 0) return url.slice(work + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, '');
}

/** Where a frame's code lives: a package, a folder of ours, Node itself, or V8's own work. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(idle)' || functionName === '(program)') return `V8 ${functionName}`;
    return 'native (C++ bindings, e.g. sockets, SQLite, crypto)';
  }
  const modules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (modules?.[1]) return `package ${modules[1]}`;
  if (url.startsWith('node:')) return 'Node.js internals';
  const ours = url.match(/\/(src\/[^/]+|bench)\//);
  if (ours?.[1]) return ours[1];
  return 'other';
}

export function formatProfile(summary: ProfileSummary, indent = '    '): string {
  const line = (entry: ProfileLine): string =>
    `${indent}${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(0).padStart(6)} ms  ${entry.name}`;
  return [
    `${indent}self time by area (of ${summary.totalMs.toFixed(0)} ms sampled):`,
    ...summary.areas.map(line),
    `${indent}top functions by self time:`,
    ...summary.functions.map(line),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatProfile(summarizeProfile(file, Number(process.argv[3] ?? 25)), ''));
}
