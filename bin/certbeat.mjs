#!/usr/bin/env node
// The `certbeat` executable: runs the TypeScript CLI (cli/main.ts) through tsx's ESM loader, so no
// build step is needed. main() reads argv, streams and environment from what it is given.
import { register } from 'tsx/esm/api';

// The SDK warns on every start that its 2027 releases will need Node 22; for a CLI that is noise, not news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import(new URL('../cli/main.ts', import.meta.url).href);
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// Explicit exit: an idle keep-alive socket or timer left by an SDK must not hold the process open.
process.exit(code);
