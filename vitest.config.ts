// One vitest config for every package. Workspace packages resolve to their TypeScript sources, so tests
// never depend on a prior build and a change in `tensor` is seen at once by `graph`'s tests.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { readdirSync, existsSync } from 'node:fs';

const root = fileURLToPath(new URL('.', import.meta.url));
const alias: Record<string, string> = {};
for (const dir of readdirSync(`${root}packages`)) {
  const entry = `${root}packages/${dir}/src/index.ts`;
  if (existsSync(entry)) alias[`@diff2in1/${dir}`] = entry;
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['**/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    reporters: ['default', `${root}tools/summary-reporter.ts`],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
