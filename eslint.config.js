// Flat ESLint config for the whole workspace.
// The one architectural rule we enforce mechanically: only packages/runtime talks to onnxruntime.
import tseslint from 'typescript-eslint';

const ortOnlyInRuntime = {
  paths: [
    { name: 'onnxruntime-node', message: 'Only @diff2in1/runtime may import onnxruntime-node; use @diff2in1/runtime instead.' },
    { name: 'onnxruntime-common', message: 'Only @diff2in1/runtime may import onnxruntime-common; use @diff2in1/runtime instead.' },
  ],
  patterns: [
    { group: ['onnxruntime-node/*', 'onnxruntime-common/*', 'onnxruntime-web', 'onnxruntime-web/*'], message: 'Only @diff2in1/runtime may import onnxruntime.' },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      'no-restricted-imports': ['error', ortOnlyInRuntime],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/runtime/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
