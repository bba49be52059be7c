#!/usr/bin/env node
// `certbeat` from a checkout (`npm run certbeat -- …`, and the tests): runs the TypeScript sources of
// cli/bin.ts through tsx, so development needs no build. The installed package runs the built
// dist/certbeat.mjs instead (package.json "bin"), with no tsx at run time.
import { register } from 'tsx/esm/api';

// Set before the SDK loads (cli/bin.ts sets it too, but its imports are evaluated first).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import(new URL('../cli/bin.ts', import.meta.url).href);
