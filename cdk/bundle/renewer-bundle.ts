/**
 * How certbeat's Lambdas are bundled: the esbuild options in one place, used by the CDK construct
 * (BundledFunction runs this file as a child process during synthesis) and by the bundle test.
 *
 * Besides the defaults of a minified ESM Node bundle, a plugin leaves out modules the bundle pulls in but
 * the Lambda never runs, each with the reason in LEFT_OUT. A left-out module is replaced by a stand-in
 * whose every export throws a clear error, so a wrong assumption fails loudly instead of silently.
 *
 *   npx tsx cdk/bundle/renewer-bundle.ts <entry.ts> <outdir>
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** Module specifier → why the Lambda never runs it. */
export const LEFT_OUT: Record<string, string> = {
  'node-forge':
    "acme-client's index exports its node-forge crypto (`forge`) beside the node:crypto one; certbeat imports only Client and axios",
  'acme-client/src/crypto/forge.js': "acme-client's node-forge crypto (`forge` of its index); certbeat imports only Client and axios",
  'form-data': "axios' multipart bodies (toFormData, and an instanceof check only for FormData bodies); ACME requests are JSON",
  'mime-db': "form-data's MIME lookup for multipart uploads (via axios); ACME requests are JSON",
  debug: "follow-redirects' optional debug output (it tolerates a missing module)",
  '@smithy/core/event-streams': 'loaded only for event-stream operations; none of the SDK operations certbeat calls has one',
  '@aws-sdk/credential-provider-sso': 'Lambda gives credentials in the environment, the first link of the default chain',
  '@aws-sdk/credential-provider-ini': 'Lambda gives credentials in the environment, the first link of the default chain',
  '@aws-sdk/credential-provider-process': 'Lambda gives credentials in the environment, the first link of the default chain',
  '@aws-sdk/credential-provider-login': 'Lambda gives credentials in the environment, the first link of the default chain',
  '@aws-sdk/credential-provider-web-identity': 'Lambda gives credentials in the environment, the first link of the default chain',
  '@aws-sdk/credential-provider-http': 'container credentials (ECS); Lambda gives credentials in the environment',
  '@smithy/credential-provider-imds': 'instance and container metadata credentials; Lambda gives credentials in the environment',
  '@aws-sdk/token-providers': 'SSO bearer tokens; none of the clients certbeat uses takes a token',
};

/**
 * acme-client's `crypto` module (src/crypto/index.js) is replaced by lambda/adapters/acme/acme-crypto-lite.ts:
 * the functions acme-client's own modules call, on node:crypto. The original builds CSRs and reads
 * certificates with @peculiar/x509 (with asn1js, tsyringe, reflect-metadata: ~240 KB minified); certbeat
 * makes its keys and requests in csr.ts.
 */
export const ACME_CRYPTO_SUBSTITUTE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lambda', 'adapters', 'acme', 'acme-crypto-lite.ts');

/** Files inside zod (imported by relative path) → why the Lambda never runs them. */
export const LEFT_OUT_ZOD_FILES: Record<string, string> = {
  'to-json-schema.js': "zod's JSON Schema output, reached only through toJSONSchema() and the standard-schema jsonSchema getters; certbeat only parses",
  'json-schema-processors.js': "zod's JSON Schema output (per-type processors), called only while producing JSON Schema",
};

/**
 * Files inside axios's ES module sources (lib/adapters/, imported by relative path) → why the Lambda never
 * runs them, and the stand-in's source. axios's dist/node/axios.cjs has all adapters in one file, so the
 * bundle takes axios's ESM sources instead (see AXIOS_SHIM) and leaves these out.
 */
export const LEFT_OUT_AXIOS_FILES: Record<string, { reason: string; contents: (message: string) => string }> = {
  'adapters/xhr.js': {
    reason:
      "axios' browser adapter; on Node it is `false` (XMLHttpRequest is undefined) and acme-client sets `adapter: 'http'` on its instance",
    // Exactly what the real module exports on Node: `isXHRAdapterSupported && function …` with no XMLHttpRequest.
    contents: () => 'export default false;',
  },
  'adapters/fetch.js': {
    reason:
      "axios' fetch adapter, chosen only when a request asks for adapter 'fetch' or no earlier adapter is supported; acme-client sets `adapter: 'http'`, which Node supports",
    // adapters.js reads only `getFetch` (through `fetch: { get: getFetch }`), and calls it only when 'fetch'
    // is tried: fail loudly there instead of claiming the environment has no fetch.
    contents: (message) =>
      `const fail = function () { throw new Error(${JSON.stringify(message)}); };\nexport { fail as getFetch, fail as default };`,
  },
};

/**
 * `require('axios')` (acme-client is CommonJS) resolves to the single-file dist/node/axios.cjs, which esbuild
 * cannot prune. Instead it gets this stand-in for that file: the default export of axios's ES module entry,
 * the same object dist/node/axios.cjs assigns to module.exports, built from lib/ where LEFT_OUT_AXIOS_FILES apply.
 */
const AXIOS_SHIM = 'certbeat-axios-esm';

const STUB_NAMESPACE = 'certbeat-left-out';

/** esbuild plugin replacing LEFT_OUT modules by stand-ins that throw when used. */
export const leaveOutPlugin: esbuild.Plugin = {
  name: 'certbeat-leave-out',
  setup(build) {
    const names = Object.keys(LEFT_OUT).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: args.path, namespace: STUB_NAMESPACE }));
    // acme-client's relative requires of its crypto modules (src/index.js, client.js, http.js, util.js).
    build.onResolve({ filter: /^\.\/crypto(\/forge)?$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]acme-client[\\/]src$/.test(args.resolveDir)) return undefined;
      return args.path === './crypto' ? { path: ACME_CRYPTO_SUBSTITUTE } : { path: 'acme-client/src/crypto/forge.js', namespace: STUB_NAMESPACE };
    });
    const zodFiles = Object.keys(LEFT_OUT_ZOD_FILES).map((n) => n.replace(/\./g, '\\.'));
    build.onResolve({ filter: new RegExp(`/(${zodFiles.join('|')})$`) }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: `zod:${args.path.split('/').pop()}`, namespace: STUB_NAMESPACE, pluginData: { real: join(args.resolveDir, args.path) } }
        : undefined,
    );
    build.onResolve({ filter: /^axios$/ }, async (args) => {
      if (args.kind !== 'require-call' || args.pluginData === AXIOS_SHIM) return undefined;
      const esm = await build.resolve('axios', { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: AXIOS_SHIM });
      if (esm.errors.length > 0) return { errors: esm.errors };
      return { path: esm.path, namespace: AXIOS_SHIM };
    });
    build.onLoad({ filter: /.*/, namespace: AXIOS_SHIM }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)}).default;`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
    const axiosFiles = Object.keys(LEFT_OUT_AXIOS_FILES).map((n) => n.split('/').pop()!.replace(/\./g, '\\.'));
    build.onResolve({ filter: new RegExp(`(^|/)(${axiosFiles.join('|')})$`) }, (args) => {
      if (!/[\\/]node_modules[\\/]axios[\\/]lib[\\/]/.test(args.importer)) return undefined;
      const file = relative(join(args.importer, '..', '..'), join(args.resolveDir, args.path)).split(sep).join('/');
      return file in LEFT_OUT_AXIOS_FILES ? { path: `axios:${file}`, namespace: STUB_NAMESPACE } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: STUB_NAMESPACE }, (args) => {
      const axiosFile = LEFT_OUT_AXIOS_FILES[args.path.replace(/^axios:/, '')];
      if (args.path.startsWith('axios:') && axiosFile) {
        const message = `${args.path} is left out of the certbeat Lambda bundle (${axiosFile.reason}); see cdk/bundle/renewer-bundle.ts`;
        return { contents: axiosFile.contents(message), loader: 'js' };
      }
      const reason = LEFT_OUT[args.path] ?? LEFT_OUT_ZOD_FILES[args.path.replace(/^zod:/, '')];
      const message = `${args.path} is left out of the certbeat Lambda bundle (${reason}); see cdk/bundle/renewer-bundle.ts`;
      if (args.pluginData?.real) {
        // An ES module with the real file's export names, so zod's `export *` stays static and
        // tree-shakeable (a CommonJS stand-in would make it dynamic and pull all of zod back in).
        const source = readFileSync(args.pluginData.real as string, 'utf8');
        const names = new Set<string>();
        for (const m of source.matchAll(/^export (?:async )?(?:function\*?|const|let|var|class) ([A-Za-z0-9_$]+)/gm)) names.add(m[1]);
        for (const m of source.matchAll(/^export \{([^}]*)\}/gm)) for (const part of m[1].split(',')) if (part.trim()) names.add(part.trim().split(/\s+as\s+/).pop()!);
        const lines = [`const fail = function () { throw new Error(${JSON.stringify(message)}); };`];
        for (const n of names) lines.push(`export { fail as ${n} };`);
        return { contents: lines.join('\n'), loader: 'js' };
      }
      const contents =
        args.path === 'debug'
          ? 'module.exports = () => Object.assign(() => {}, { enabled: false });'
          : // Any property path resolves (modules such as acme-client's forge.js read nested members at load
            // time); calling or constructing anything throws.
            `const message = ${JSON.stringify(message)};
function standIn() {
  return new Proxy(function () {}, {
    get: (_, key) => (typeof key === 'symbol' || key === 'then' ? undefined : key === '__esModule' ? false : standIn()),
    apply: () => { throw new Error(message); },
    construct: () => { throw new Error(message); },
  });
}
module.exports = standIn();`;
      return { contents, loader: 'js' };
    });
  },
};

/**
 * esbuild plugin letting esbuild drop the schemas of SDK operations certbeat never calls.
 *
 * Each AWS SDK client's dist-es/schemas/schemas_0.js declares every operation's schema as an array holding
 * an object with computed keys, `{ [_h]: ["POST", "/v2/email/outbound-emails", 200] }`, where `_h` is a
 * file-level `const _h = "http"`. esbuild cannot prove a computed key free of side effects, so it keeps every
 * such declaration (and all the request/response shapes and name strings they reach). This plugin writes
 * those keys as the string literals the constants hold (`{ "http": [...] }`, the same object), so esbuild
 * keeps only the schemas the bundle reaches.
 */
export const sdkSchemaKeysPlugin: esbuild.Plugin = {
  name: 'certbeat-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const strings = new Map<string, string>();
      for (const m of source.matchAll(/^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
      const contents = source.replace(/([{,]\s*)\[(_[A-Za-z0-9_$]+)\](\s*:)/g, (whole, before: string, name: string, colon: string) =>
        strings.has(name) ? `${before}${strings.get(name)}${colon}` : whole,
      );
      return { contents, loader: 'js' };
    });
  },
};

/** ESM bundles still contain CommonJS dependencies that call require(); give them one. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __certbeatCreateRequire } from 'node:module'; const require = __certbeatCreateRequire(import.meta.url);";

/** The esbuild options of a certbeat Lambda bundle: `entry` → `<outdir>/index.mjs`. */
export function bundleOptions(entry: string, outdir: string): esbuild.BuildOptions {
  return {
    entryPoints: [resolve(entry)],
    outfile: resolve(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    legalComments: 'none',
    // Non-ASCII characters as they are, not as \uXXXX escapes.
    charset: 'utf8',
    sourcemap: false,
    // Bundle the AWS SDK too: the version tested is the version that runs.
    external: [],
    plugins: [leaveOutPlugin, sdkSchemaKeysPlugin],
    logLevel: 'warning',
  };
}

export async function buildBundle(entry: string, outdir: string): Promise<string> {
  const options = bundleOptions(entry, outdir);
  await esbuild.build(options);
  return options.outfile!;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) {
    console.error('usage: tsx cdk/bundle/renewer-bundle.ts <entry.ts> <outdir>');
    process.exit(2);
  }
  await buildBundle(entry, outdir);
}
