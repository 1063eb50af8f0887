/**
 * The package as a user gets it: `npm pack` of this repo, installed into a fresh app in a temporary
 * directory, run with plain `node`. Shared by the package test and the footprint script.
 *
 * Installs only reach the npm registry (`--prefer-offline` takes what the cache holds). better-sqlite3
 * builds its native module at install time, which from source takes minutes; the repo's own build
 * of the same version is handed to its installer as a local prebuild (prebuild-install's documented
 * `local-prebuilds` lookup), so an install takes seconds and needs no download from GitHub.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const repoRequire = createRequire(join(REPO_ROOT, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface PackedPackage {
  /** Absolute path of the .tgz. */
  tarball: string;
  version: string;
  /** Paths inside the tarball, as `npm pack --json` lists them. */
  files: string[];
}

/** Runs `npm pack --json` (which runs the build); throws unless stdout is that JSON alone. */
export function packTarball(destination: string): PackedPackage {
  mkdirSync(destination, { recursive: true });
  const stdout = execFileSync(npm, ['pack', '--json', '--pack-destination', destination], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [packed] = JSON.parse(stdout) as Array<{
    filename: string;
    version: string;
    files: Array<{ path: string }>;
  }>;
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  return {
    tarball: join(destination, packed.filename),
    version: packed.version,
    files: packed.files.map((file) => file.path),
  };
}

/** The repo's better-sqlite3 version and a directory holding its build as a prebuild tarball. */
function sqlitePrebuild(directory: string): { version: string; env: Record<string, string> } {
  const root = join(repoRequire.resolve('better-sqlite3/package.json'), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(directory, { recursive: true });
  const tarball = join(directory, name);
  if (!existsSync(tarball))
    execFileSync('tar', ['-czf', tarball, '-C', root, 'build/Release/better_sqlite3.node']);
  return { version, env: { npm_config_better_sqlite3_local_prebuilds: directory } };
}

export interface AppInstall {
  directory: string;
  /** Wall time of `npm install`. */
  installMs: number;
}

/**
 * Writes `manifest` as the app's package.json (private, ESM) and installs it. better-sqlite3 is held
 * to the repo's version, the one whose build is handed over as a prebuild.
 */
export function installApp(
  directory: string,
  manifest: { dependencies: Record<string, string>; devDependencies?: Record<string, string> },
  files: Record<string, string> = {},
): AppInstall {
  mkdirSync(directory, { recursive: true });
  const prebuild = sqlitePrebuild(join(directory, '..', '.prebuilds'));
  const packageJson = {
    name: 'tollgate-user-app',
    private: true,
    type: 'module',
    ...manifest,
    overrides: { 'better-sqlite3': prebuild.version },
    // npm 11 asks apps to allow install scripts by name; better-sqlite3's fetches its native module.
    allowScripts: { 'better-sqlite3': true },
  };
  writeFileSync(join(directory, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  const started = performance.now();
  execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: directory,
    env: { ...process.env, ...prebuild.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { directory, installMs: performance.now() - started };
}

/**
 * Installed packages under node_modules (nested copies included), the bytes of their files, and the
 * disk they take (whole blocks, as `du` counts).
 */
export function measureNodeModules(directory: string): {
  packages: number;
  bytes: number;
  diskBytes: number;
} {
  let packages = 0;
  let bytes = 0;
  let diskBytes = 0;
  const walk = (path: string, inNodeModules: boolean): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (inNodeModules && !entry.name.startsWith('.') && !entry.name.startsWith('@')) {
          if (existsSync(join(child, 'package.json'))) packages++;
        }
        walk(child, entry.name === 'node_modules' || (inNodeModules && entry.name.startsWith('@')));
      } else {
        const stats = statSync(child);
        bytes += stats.size;
        diskBytes += stats.blocks * 512;
      }
    }
  };
  walk(join(directory, 'node_modules'), true);
  return { packages, bytes, diskBytes };
}

export interface RunningApp {
  /** What the app printed after `listening `: its base URL, then anything else on that line. */
  line: string[];
  /** Time from spawning `node <script>` to that line. */
  startupMs: number;
  /**
   * CPU time the process had used by then (Linux, else NaN): steadier than wall time on a busy
   * machine, where the wall time also counts waiting for a core.
   */
  cpuMs: number;
  stop(): Promise<void>;
}

/** User plus system CPU time of a running process, from /proc (ticks of 10 ms); NaN elsewhere. */
function cpuTimeMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Runs `node <script>` in the app and waits for the line `listening <url> ...`. */
export function startApp(directory: string, script: string, timeoutMs = 30_000): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [script], { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${script} in ${directory}: ${reason}\n${stdout}${stderr}`));
    };
    const timer = setTimeout(() => fail(`no 'listening' line in ${timeoutMs} ms`), timeoutMs);
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => fail(`exited with ${code}`));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /^listening (.+)$/m.exec(stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        line: match[1].trim().split(/\s+/),
        startupMs: performance.now() - started,
        cpuMs: cpuTimeMs(child.pid),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill();
          }),
      });
    });
  });
}
