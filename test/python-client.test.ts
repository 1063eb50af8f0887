/**
 * The Python package in clients/python, run by the real interpreter: its pytest suite (which starts
 * a real `tollgate serve` on a temporary SQLite file with the built-in Stripe emulator) and
 * `mypy --strict`, and the ruff lint and format check. The packages they need are installed by clients/python/ci-install.sh.
 */
import { execFile } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';

const directory = new URL('../clients/python/', import.meta.url).pathname;
const python = process.env.PYTHON ?? 'python3';
const INSTALL_HINT =
  'run `bash clients/python/ci-install.sh` (it pip-installs them from the configured package index)';

function run(args: string[], timeout: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      {
        cwd: directory,
        timeout,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('clients/python', () => {
  beforeAll(async () => {
    const modules = ['httpx', 'starlette', 'fastapi', 'uvicorn', 'pytest', 'pytest_asyncio', 'mypy', 'ruff'];
    const found = await run(['-c', `import ${modules.join(', ')}`], 30_000);
    if (found.code !== 0)
      throw new Error(`The Python test packages are missing (${found.output.trim()}): ${INSTALL_HINT}.`);
  });

  it('passes its pytest suite against a real tollgate serve', async () => {
    const result = await run(['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], 300_000);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/\d+ passed/);
  }, 310_000);

  it('type-checks with mypy --strict (package, examples and tests)', async () => {
    const result = await run(['-m', 'mypy', '--no-incremental'], 180_000);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/^Success: no issues found/m);
  }, 190_000);

  it('passes the ruff lint and format check', async () => {
    const lint = await run(['-m', 'ruff', 'check', '--no-cache', '.'], 60_000);
    expect(lint.code, lint.output).toBe(0);
    const format = await run(['-m', 'ruff', 'format', '--check', '--no-cache', '.'], 60_000);
    expect(format.code, format.output).toBe(0);
  });
});
