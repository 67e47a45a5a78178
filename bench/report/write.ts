/** `--out DIR`: result.json (with detail), summary.md and report.html. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from '../result.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export interface WrittenReport {
  readonly resultJson: string;
  readonly summaryMd: string;
  readonly reportHtml: string;
}

export async function writeReport(dir: string, result: BenchResult): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const paths = {
    resultJson: join(dir, 'result.json'),
    summaryMd: join(dir, 'summary.md'),
    reportHtml: join(dir, 'report.html'),
  };
  await Promise.all([
    writeFile(paths.resultJson, `${JSON.stringify(result, null, 2)}\n`),
    writeFile(paths.summaryMd, renderMarkdown(result)),
    writeFile(paths.reportHtml, renderHtml(result)),
  ]);
  return paths;
}
