// Vite build of skua's web UI. Assets go to dist/static/ with relative URLs (base './') so they
// resolve against the <base href> the server injects (QUERY_BASE_PATH). The dev server proxies
// /api to a running skua (SKUA_QUERY, default http://127.0.0.1:16686).
import { defineConfig } from 'vitest/config';

const skuaQuery = process.env.SKUA_QUERY ?? 'http://127.0.0.1:16686';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    assetsDir: 'static',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': { target: skuaQuery, changeOrigin: true } },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
