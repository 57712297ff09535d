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
 * Start the server and wait until GET /readyz answers 200. `env` adds configuration
 * (`SPORTELLO_*` variables, e.g. `{ SPORTELLO_MUNICIPALITY: 'true' }`) to the clean environment.
 * `demo` holds the demo accounts read from the banner (see parseDemoBanner).
 * @returns {Promise<{url: string, origin: string, demo: DemoAccounts, output: () => string, stop: () => Promise<{code: number|null, signal: string|null}>}>}
 */
export async function startServer({ env = {} } = {}) {
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
    env: { ...serverEnv(), ...env },
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
    await waitFor(() => BANNER_END.test(stdout), 'the end of the demo banner');
    const demo = parseDemoBanner(stdout);
    return { url, origin: new URL(url).origin, demo, output, stop };
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

const BANNER_END = /Ctrl-C/;

async function waitFor(condition, what) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * @typedef {{codiceFiscale: string, name: string, pin?: string, level?: string, halves?: [string, string]}} DemoCitizen
 * @typedef {{username: string, role: string}} DemoStaff
 * @typedef {{citizen: (name: string) => DemoCitizen, staff: (username: string) => DemoStaff,
 *            citizens: DemoCitizen[], staffMembers: DemoStaff[], staffPassword: string, staffTotpSecret: string}} DemoAccounts
 */

/**
 * The demo accounts as `serve --demo` prints them: the journeys log in with what a person
 * trying the demo reads, so a change to the demo data or to its banner shows up here.
 * @returns {DemoAccounts}
 */
export function parseDemoBanner(text) {
  const citizens = [];
  const citizenLine =
    /^\s+([A-Z0-9]{16})\s{2,}(.+?)\s{2,}PIN (?:([A-Z0-9]{16}) \((\w+)\)|da attivare su \S+ ([A-Z0-9]+) \+ ([A-Z0-9]+))/gm;
  for (const m of text.matchAll(citizenLine)) {
    citizens.push({
      codiceFiscale: m[1],
      name: m[2],
      ...(m[3] ? { pin: m[3], level: m[4] } : { halves: [m[5], m[6]] }),
    });
  }
  const staffSection = text.split(/^\s+Personale\b.*$/m)[1] ?? '';
  const staffMembers = [...staffSection.matchAll(/^\s+([a-z]+\.[a-z]+)\s+(\w+)\s*$/gm)].map((m) => ({
    username: m[1],
    role: m[2],
  }));
  const staffPassword = /password "([^"]+)"/.exec(text)?.[1];
  const staffTotpSecret = /segreto ([A-Z2-7]+=*)/.exec(text)?.[1];
  if (citizens.length === 0 || staffMembers.length === 0 || !staffPassword || !staffTotpSecret) {
    throw new Error(`cannot read the demo accounts from the server banner:\n${text}`);
  }
  const find = (list, key, value, what) => {
    const found = list.find((x) => x[key] === value);
    if (!found) throw new Error(`no demo ${what} "${value}" in the banner: ${list.map((x) => x[key]).join(', ')}`);
    return found;
  };
  return {
    citizens,
    staffMembers,
    staffPassword,
    staffTotpSecret,
    citizen: (name) => find(citizens, 'name', name, 'citizen'),
    staff: (username) => find(staffMembers, 'username', username, 'staff member'),
  };
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
