// The production bundle goes to dist/app, beside tsc's dist/lib (type-checked sources and
// the unit tests that run in Node); `sotto serve` serves dist/app at `/`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
