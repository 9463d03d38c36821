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

/** The pages scripts/build.mjs bundles into dist/dashboard/ (<name>.js, <name>.css), with their inputs: keep them in step. */
export const PAGES = {
  app: { entry: join('dashboard', 'client.ts'), inputs: ['client.ts', 'api.ts', 'style.css'] },
  report: { entry: join('dashboard', 'report-page.ts'), inputs: ['report-page.ts'] },
} as const;
/** The dashboard's entry (scripts/build.mjs). */
export const CLIENT_ENTRY = PAGES.app.entry;

function newestInput(root: string, inputs: readonly string[]): number {
  return Math.max(0, ...inputs.map((f) => statSync(join(root, 'dashboard', f), { throwIfNoEntry: false })?.mtimeMs ?? 0));
}

export function loadDashboardAssets(root = projectRoot()): Promise<DashboardAssets> {
  return loadPageAssets('app', root);
}

/** A page's script and styles: the build's, or bundled now from its sources when the build is missing or older. */
export async function loadPageAssets(page: keyof typeof PAGES, root = projectRoot()): Promise<DashboardAssets> {
  const { entry, inputs } = PAGES[page];
  const js = join(root, 'dist', 'dashboard', `${page}.js`);
  const css = join(root, 'dist', 'dashboard', `${page}.css`);
  const built = Math.min(statSync(js, { throwIfNoEntry: false })?.mtimeMs ?? 0, statSync(css, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  const sources = existsSync(join(root, entry));
  if (built > 0 && (!sources || built >= newestInput(root, inputs))) return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  if (!sources) throw new Error(`the dashboard's page is missing (dist/dashboard/${page}.js): run \`npm run build\``);
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    outdir: join(root, 'dist', 'dashboard'),
    entryNames: page,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  const text = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}
