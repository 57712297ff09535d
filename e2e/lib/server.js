// Starts one `sportello serve --demo` per test file, in its own temporary directory (demo
// mode keeps its SQLite database in the working directory), and stops it at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SPORTELLO_BIN } from './paths.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const URL_IN_BANNER = /http:\/\/127\.0\.0\.1:(\d+)/;

// Servers still running when the test process exits (crash, uncaught error): kill them so
// no orphan keeps a port or a temporary directory.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Start the server and wait until GET /readyz answers 200.
 * @returns {Promise<{url: string, origin: string, output: () => string, stop: () => Promise<{code: number|null, signal: string|null}>}>}
 */
export async function startServer() {
  try {
    fs.accessSync(SPORTELLO_BIN, fs.constants.X_OK);
  } catch {
    throw new Error(
      `server binary ${SPORTELLO_BIN} is missing or not executable: build it first ` +
        '(cargo build -p sportello) or set SPORTELLO_BIN',
    );
  }
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sportello-e2e-'));
  const child = spawn(SPORTELLO_BIN, ['serve', '--demo', '--bind', '127.0.0.1:0'], {
    cwd,
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let stdout = '';
  let stderr = '';
  const output = () => `--- server stdout ---\n${stdout}--- server stderr ---\n${stderr}`;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });

  const cleanup = () => fs.rmSync(cwd, { recursive: true, force: true });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const result = await exited;
    clearTimeout(timer);
    cleanup();
    return result;
  };

  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL in the server banner after ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited during start-up (code ${code}, signal ${signal})`));
      });
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        stdout += chunk;
        const match = URL_IN_BANNER.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${match[1]}`);
        }
      });
    });
    await waitReady(url, exited);
    return { url, origin: new URL(url).origin, output, stop };
  } catch (err) {
    await stop();
    err.message += `\n${output()}`;
    throw err;
  }
}

// The inherited environment minus every SPORTELLO_* variable: the demo server must not pick
// up a developer's configuration (SPORTELLO_DATABASE_URL, SPORTELLO_CONFIG...), and it
// rejects unknown SPORTELLO_* keys, such as our own SPORTELLO_BIN.
function serverEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SPORTELLO_')) env[key] = value;
  }
  env.SPORTELLO_LOG_LEVEL = 'warn';
  return env;
}

async function waitReady(url, exited) {
  let dead = false;
  exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (dead) throw new Error('server exited before it was ready');
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`GET ${url}/readyz did not answer 200 within ${START_TIMEOUT_MS} ms (last: ${last})`);
}
