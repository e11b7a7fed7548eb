// Builds the dashboard into control-plane/dist/dashboard, which the control plane serves at `/`.
// Hashed file names under assets/ (served as immutable); no CDN, no runtime fetch from elsewhere.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
  // `pnpm --filter @tether/control-plane dev:dashboard`: the page on :5173, the API of a local `pnpm start`.
  server: {
    proxy: {
      '/api': { target: process.env.TETHER_API ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
  logLevel: 'warn',
});
