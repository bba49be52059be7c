/**
 * Local-server plumbing for the testbed's launchers: free loopback ports, child processes and temp dirs that die
 * with the test process, and waiting until a freshly started server answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** Returns a TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Keeps the last `limit` characters written to it: enough of a server's log to explain a failure. */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = 4000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

/** A child server process whose output is kept in a tail buffer and which is killed when this process exits. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly output: OutputTail;
  /** Resolves with a description once the process has exited (for start-up failure messages). */
  readonly exited: Promise<string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are, so no server or key file outlives the tests.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes `dir` when this process exits, unless `forget(dir)` was called after removing it earlier. */
export function removeOnExit(dir: string): { forget(): void } {
  installExitHook();
  tempDirs.add(dir);
  return { forget: () => void tempDirs.delete(dir) };
}

/** Starts `command` with `args`; stdout and stderr go to a tail buffer, never to the terminal. */
export function spawnManaged(command: string, args: string[], env: Record<string, string> = {}): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  live.add(child);
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      done = true;
      live.delete(child);
      resolve(`could not start ${command}: ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve(`${command} exited (${signal ?? `code ${code}`})`);
    });
  });
  return {
    child,
    output,
    exited,
    hasExited: () => done,
    async stop(graceMs = 2000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Calls `probe` until it resolves true, the process exits, or `timeoutMs` passes. On failure, throws
 * an error naming `what` and carrying the tail of the process's output.
 */
export async function waitUntilReady(
  what: string,
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const why = await proc.exited;
      throw new Error(`${what} did not start: ${why}\n--- output tail ---\n${proc.output}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await proc.stop();
  const last = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : '';
  throw new Error(`${what} did not answer within ${timeoutMs} ms${last}\n--- output tail ---\n${proc.output}`, {
    cause: lastError,
  });
}

/** True when the output shows a port was taken between freePort() and the child's bind. */
export function lostPortRace(output: OutputTail): boolean {
  return /address already in use/i.test(output.toString());
}
