// Bundles kfguard with esbuild.
//   node scripts/build.mjs cli   the CLI into dist/ (run by `npm ci` through `prepare`)
//   node scripts/build.mjs       the CLI, and each Cloud Function into build/functions/NAME/ and NAME.zip
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const FUNCTIONS_SOURCE = 'functions/src/functions';
const FUNCTIONS_OUT = process.env.KFGUARD_BUILD_DIR ?? 'build/functions';
// A fixed timestamp makes the zip depend only on its content, so Terraform redeploys only on change.
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

const root = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * Small pure-JavaScript libraries are inlined into each bundle (the CLI and every function): one
 * minified file parses faster than a few hundred small modules, which is most of a cold start
 * after the Firestore client. Every other package stays external, installed next to the code
 * (node_modules for the CLI, Cloud Build's npm install for a function): Google's clients load
 * their protos from their own package folders.
 */
const INLINED = ['zod', 'yaml', 'ipaddr.js'];
// esbuild's ESM output has no `require`; yaml's Node build (CommonJS) requires node:process.
const REQUIRE_SHIM = "import { createRequire as __kfguardCreateRequire } from 'node:module'; const require = __kfguardCreateRequire(import.meta.url);";

/**
 * zod's entry re-exports its 50 locales as `z.locales`, and a namespace import keeps all of them:
 * 250 KB of a 600 KB function bundle, parsed at every cold start. kfguard's messages are English,
 * so the bundles get the English one alone (`z.locales.en`; any other is undefined).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes('/node_modules/zod/') ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: dirname(args.path) }));
  },
};

const external = Object.keys({ ...root.dependencies, ...root.devDependencies }).filter((name) => !INLINED.includes(name));

const bundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Heavy clients are imported on demand: splitting puts each lazy import in its own chunk.
  splitting: true,
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  external: [...external, ...external.map((name) => `${name}/*`)],
  plugins: [zodEnglishOnly],
  // yaml's ES module build (the one it ships for browsers, same code) lets esbuild drop what a bundle never calls.
  alias: { yaml: './node_modules/yaml/browser/index.js' },
  banner: { js: REQUIRE_SHIM },
};

async function buildCli() {
  await build({ ...bundleOptions, entryPoints: { cli: 'functions/src/cli/index.ts' }, outdir: 'dist' });
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function installedVersion(name) {
  return JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')).version;
}

/** Packages each output imports, split into those loaded at start and those loaded on demand. */
function packagesOf(metafile, outdir) {
  const entry = Object.keys(metafile.outputs).find((path) => basename(path) === 'index.js');
  const eager = new Set();
  const lazy = new Set();
  // Walk static imports from the entry: everything reached that way loads at cold start.
  const seen = new Set();
  const visit = (output) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const imported of metafile.outputs[output].imports) {
      if (imported.external) {
        if (!isBuiltin(imported.path)) (imported.kind === 'dynamic-import' ? lazy : eager).add(packageName(imported.path));
      } else if (imported.kind === 'import-statement') visit(imported.path);
    }
  };
  visit(entry);
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    if (seen.has(output)) continue;
    for (const imported of imports) if (imported.external && !isBuiltin(imported.path)) lazy.add(packageName(imported.path));
  }
  for (const name of eager) lazy.delete(name);
  return { eager: [...eager].sort(), lazy: [...lazy].sort(), outdir };
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function buildFunction(name) {
  const outdir = join(FUNCTIONS_OUT, name);
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({ ...bundleOptions, entryPoints: { index: join(FUNCTIONS_SOURCE, `${name}.ts`) }, outdir, metafile: true });
  const { eager, lazy } = packagesOf(result.metafile, outdir);
  const dependencies = Object.fromEntries([...eager, ...lazy].sort().map((pkg) => [pkg, installedVersion(pkg)]));
  const manifest = {
    name: `kfguard-${name}`,
    version: root.version,
    private: true,
    description: `kfguard Cloud Function ${name} (generated by npm run build)`,
    type: 'module',
    main: 'index.js',
    engines: { node: '20' },
    dependencies,
  };
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = Object.fromEntries(filesUnder(outdir).map((path) => [relative(outdir, path), [readFileSync(path), { mtime: ZIP_MTIME }]]));
  writeFileSync(join(FUNCTIONS_OUT, `${name}.zip`), zipSync(files, { level: 9 }));
  return { name, entryPoint: name, eager, lazy, dependencies };
}

await buildCli();
if (process.argv[2] !== 'cli') {
  mkdirSync(FUNCTIONS_OUT, { recursive: true });
  const names = readdirSync(FUNCTIONS_SOURCE).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -3)).sort();
  const built = [];
  for (const name of names) built.push(await buildFunction(name));
  writeFileSync(join(FUNCTIONS_OUT, 'manifest.json'), `${JSON.stringify({ functions: built }, null, 2)}\n`);
  console.log(built.map((fn) => `${fn.name}: loads ${fn.eager.join(', ')}; on demand ${fn.lazy.join(', ') || 'nothing'}`).join('\n'));
}
