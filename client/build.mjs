/**
 * Builds the browser side into dist/client/: the SDK as one ES module for
 * applications (switchboard.js), the demo app (demo.js) and its page and
 * style sheet. The server serves every file there at /<name>, and
 * index.html at /.
 *
 * Usage: node client/build.mjs [--watch] [--outdir DIR]
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const clientDir = dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    watch: { type: 'boolean', default: false },
    // The browser end-to-end test builds into a folder of its own (see test/e2e/p2p-call.test.ts).
    outdir: { type: 'string', default: join(clientDir, '..', 'dist', 'client') },
  },
});
const outDir = resolve(flags.outdir);
const watch = flags.watch;

/** Options both bundles share. */
const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with implicit rollback in setRemoteDescription (perfect negotiation) and CSS.escape.
  target: ['chrome90', 'firefox90', 'safari15'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};

const builds = [
  { ...common, entryPoints: [join(clientDir, 'src/sdk/index.ts')], outfile: join(outDir, 'switchboard.js') },
  {
    ...common,
    entryPoints: [join(clientDir, 'src/demo/demo.ts')],
    outfile: join(outDir, 'demo.js'),
    minify: true,
  },
];

await mkdir(outDir, { recursive: true });
for (const file of ['index.html', 'demo.css'])
  await copyFile(join(clientDir, 'src/demo', file), join(outDir, file));

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log(`watching client/src, writing ${outDir}`);
} else {
  // Quiet on success, like tsc before it in `npm run build`; esbuild prints warnings and errors.
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
