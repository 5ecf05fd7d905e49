// The vendored scripts of the dashboards, built from npm packages (package.json) so that a
// deployment needs no Node; run through `make plotly-bundle`, then commit both files.
//  - dashboards/vendor/plotly-custom.min.js: plotly.js (official `plotly.js` package), its
//    core (which holds the scatter trace) and only the trace types the app's charts draw;
//  - assets/00-regenerator-runtime.min.js: the `regeneratorRuntime` global that Dash's
//    renderer and dcc call once a lazy component (dcc.Graph) has loaded; Dash's polyfill
//    defined it, and that polyfill now runs only in browsers without ES modules
//    (dashboards/shell.py).
// tests/dashboards/test_plotlyjs.py rebuilds both and fails if the committed files differ;
// tests/browser/test_plotly_bundle.py fails if a chart draws a trace type left out here.
//
//   node tools/plotly-bundle.mjs [OUTDIR]   (default: the files above)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** Trace types registered besides scatter (always in the core). */
export const TRACES = ['bar', 'heatmap'];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTDIR = process.argv[2] && resolve(process.argv[2]);
const require = createRequire(`${ROOT}/package.json`);

function out(path) {
  return OUTDIR ? `${OUTDIR}/${path.split('/').pop()}` : `${ROOT}/${path}`;
}

async function build(target, options) {
  const result = await esbuild.build({
    bundle: true, minify: true, write: false, logLevel: 'warning', ...options,
  });
  const { contents } = result.outputFiles[0];
  writeFileSync(target, contents);
  console.log(`${target}: ${contents.length} bytes`);
}

async function plotly() {
  const pkg = dirname(require.resolve('plotly.js/package.json'));
  const { version } = require('plotly.js/package.json');
  // plotly.js's own license header (copyright years included), naming this bundle.
  const official = readFileSync(`${pkg}/dist/plotly.min.js`, 'utf8').match(/^\/\*\*[\s\S]*?\*\//)[0];
  const banner = official.replace(/plotly\.js[^\n]*v\d+\.\d+\.\d+/,
    `plotly.js (custom: ${['scatter', ...TRACES].join(', ')} - minified) v${version}`);
  if (!banner.includes(`v${version}`) || !banner.includes('MIT')) {
    throw new Error(`unexpected license header in plotly.js ${version}: ${official}`);
  }
  const entry = [
    "'use strict';",
    "var Plotly = require('plotly.js/lib/core');",
    `Plotly.register([${TRACES.map((t) => `require('plotly.js/lib/${t}')`).join(', ')}]);`,
    'module.exports = Plotly;',
  ].join('\n');
  await build(out('dashboards/vendor/plotly-custom.min.js'), {
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'plotly-custom.js' },
    // as plotly.js's esbuild-config.js builds its dist bundles
    format: 'iife',
    globalName: 'Plotly',
    target: 'es2016',
    define: { global: 'window', 'define.amd': 'false' },
    alias: { stream: 'stream-browserify' },
    // the map trace's stylesheet, required in the core's registry but only for map traces
    loader: { '.css': 'empty' },
    banner: { js: banner },
  });
}

async function regenerator() {
  const { version, license } = require('regenerator-runtime/package.json');
  const file = require.resolve('regenerator-runtime/runtime.js');
  // the file's own header (minifying drops it), with the package's name and version
  const header = readFileSync(file, 'utf8').match(/^\/\*\*[\s\S]*?\*\//)[0];
  if (license !== 'MIT' || !header.includes('MIT license')) {
    throw new Error(`unexpected license of regenerator-runtime ${version}: ${license}`);
  }
  await build(out('assets/00-regenerator-runtime.min.js'), {
    entryPoints: [file],
    // a classic script that assigns the global itself (no module wrapper around it)
    bundle: false,
    target: 'es5', // as the source: old browsers read it too
    banner: { js: header.replace('/**', `/**\n * regenerator-runtime ${version}`) },
  });
}

await plotly();
await regenerator();
