#!/usr/bin/env node
// Scaffolds a workspace package with the conventions every package shares.
// usage: node tools/new-package.mjs <dir> "<description>" [@diff2in1/dep ...] [npm-dep@range ...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [dir, description, ...deps] = process.argv.slice(2);
if (!dir || !description) { console.error('usage: node tools/new-package.mjs packages/<name> "<description>" [deps...]'); process.exit(2); }
const short = dir.split('/').pop();
const name = dir.startsWith('apps/') ? short : `@diff2in1/${short}`;
const dependencies = {};
const refs = [];
for (const d of deps) {
  if (d.startsWith('@diff2in1/')) { dependencies[d] = 'workspace:*'; refs.push({ path: `../../packages/${d.slice(10)}` }); }
  else { const at = d.lastIndexOf('@'); dependencies[d.slice(0, at)] = d.slice(at + 1); }
}
const pkg = {
  name, version: '0.1.0', description, type: 'module', license: 'MIT',
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
  main: './dist/index.js', types: './dist/index.d.ts', files: ['dist'],
  scripts: {
    build: 'tsc -b',
    typecheck: 'tsc -p tsconfig.typecheck.json',
    lint: 'eslint src',
    test: 'vitest run --config ../../vitest.config.ts --passWithNoTests',
  },
  dependencies,
};
mkdirSync(`${dir}/src`, { recursive: true });
if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({
  extends: '../../tsconfig.base.json',
  compilerOptions: { composite: true, rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
  include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/fixtures/**'], references: refs,
}, null, 2) + '\n');
writeFileSync(`${dir}/tsconfig.typecheck.json`, JSON.stringify({
  extends: '../../tsconfig.typecheck.json', include: ['src'],
}, null, 2) + '\n');
console.log(`scaffolded ${name} in ${dir}`);
