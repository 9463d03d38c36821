// `skillopt report --html FILE`: one self-contained page. The reports travel
// as JSON inside it (a <script type="application/json">, escaped so no text a
// person or model wrote can close it), and dashboard/report-page.ts, bundled
// with uPlot and inlined, renders them as text with a chart per skill. Its
// Content-Security-Policy allows only the inline script and styles: nothing is
// fetched from anywhere.
import type { SkillReport } from '../core/skill-reports';
import { loadPageAssets } from './assets';

export interface ReportHtmlInput {
  since: string;
  generatedAt: string;
  skills: SkillReport[];
}

/** JSON that can sit inside a <script> element: `<` (so no `</script>`) and the JS line separators escaped. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export async function renderReportHtml(input: ReportHtmlInput): Promise<string> {
  const { js, css } = await loadPageAssets('report');
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skillopt report</title>
<style>${css.replace(/<\/style/gi, '<\\/style')}
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d1f23; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
section { margin-bottom: 2.5rem; } .muted { color: #666; }
</style>
</head>
<body>
<main id="report"></main>
<script type="application/json" id="report-data">${scriptSafeJson(input)}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}
