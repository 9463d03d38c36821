// The page's script and styles: bundled by esbuild (uPlot and its CSS
// included), so no page loads anything from the network. `npm run build`
// writes dist/dashboard/; a checkout without a fresh build bundles in memory
// at start (well under a second).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../local/project-root';

export interface DashboardAssets {
  js: string;
  css: string;
}

/** The inputs scripts/build.mjs bundles into dist/dashboard/: keep them in step. */
export const CLIENT_ENTRY = join('dashboard', 'client.ts');
const CLIENT_INPUTS = ['client.ts', 'api.ts', 'style.css'];

function newestInput(root: string): number {
  return Math.max(0, ...CLIENT_INPUTS.map((f) => statSync(join(root, 'dashboard', f), { throwIfNoEntry: false })?.mtimeMs ?? 0));
}

export async function loadDashboardAssets(root = projectRoot()): Promise<DashboardAssets> {
  const js = join(root, 'dist', 'dashboard', 'app.js');
  const css = join(root, 'dist', 'dashboard', 'app.css');
  const built = Math.min(statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0, statSync(css, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  const sources = existsSync(join(root, CLIENT_ENTRY));
  if (built > 0 && (!sources || built >= newestInput(root))) return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  if (!sources) throw new Error('the dashboard\'s page is missing (dist/dashboard/app.js): run `npm run build`');
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, CLIENT_ENTRY)],
    bundle: true,
    write: false,
    outdir: join(root, 'dist', 'dashboard'),
    entryNames: 'app',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  const text = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}
