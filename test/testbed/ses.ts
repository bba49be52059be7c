/**
 * Launches aws-ses-v2-local (an SES v1/v2 API that captures mail instead of sending it) as a child
 * process on a free loopback port, and reads what it captured.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, lostPortRace, spawnManaged, waitUntilReady } from './ports.js';

/** One mail as aws-ses-v2-local stored it (its `GET /store` shape, flattened). */
export interface CapturedMail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  /** Extra headers given with Simple content. */
  headers: Array<{ name: string; value: string }>;
  attachments: Array<{ content: string; contentType: string; filename?: string; size: number }>;
  /** When it was received, epoch seconds. */
  at: number;
}

/** A running SES capture. */
export interface SesCapture {
  /** http://127.0.0.1:PORT — the SES v2 endpoint (AWS_ENDPOINT_URL_SESV2). */
  endpoint: string;
  /** Every mail received since start (or the last clear()), oldest first. */
  mails(): Promise<CapturedMail[]>;
  /** Forgets captured mail. */
  clear(): Promise<void>;
  /** Kills the process; idempotent. */
  stop(): Promise<void>;
}

interface StoredEmail {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination?: { to?: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  body?: { html?: string; text?: string };
  attachments?: CapturedMail['attachments'];
  headers?: Array<{ name: string; value: string }>;
  at: number;
}

/** aws-ses-v2-local keeps its store in module state; a process of its own gives each testbed its own mailbox. */
function cliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('aws-ses-v2-local')), 'cli.js');
}

/** Starts aws-ses-v2-local; resolves once its health check answers. */
export async function startSes(): Promise<SesCapture> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // SMTP_TRANSPORT set would make it relay captured mail to a real SMTP server.
    const proc = spawnManaged(process.execPath, [cliPath(), '--host', '127.0.0.1', '--port', String(port)], {
      SMTP_TRANSPORT: '',
    });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady('aws-ses-v2-local', proc, async () => (await fetch(`${endpoint}/health-check`)).ok);
    } catch (err) {
      await proc.stop();
      if (attempt < 3 && lostPortRace(proc.output)) continue;
      throw err;
    }
    return {
      endpoint,
      async mails() {
        const res = await fetch(`${endpoint}/store`);
        if (!res.ok) throw new Error(`aws-ses-v2-local /store answered ${res.status}`);
        const store = (await res.json()) as { emails: StoredEmail[] };
        return store.emails.map(toCaptured);
      },
      async clear() {
        const res = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`aws-ses-v2-local /clear-store answered ${res.status}`);
      },
      stop: () => proc.stop(),
    };
  }
}

function toCaptured(e: StoredEmail): CapturedMail {
  return {
    messageId: e.messageId,
    from: e.from,
    to: e.destination?.to ?? [],
    cc: e.destination?.cc ?? [],
    bcc: e.destination?.bcc ?? [],
    replyTo: e.replyTo ?? [],
    subject: e.subject,
    html: e.body?.html,
    text: e.body?.text,
    headers: e.headers ?? [],
    attachments: e.attachments ?? [],
    at: e.at,
  };
}
