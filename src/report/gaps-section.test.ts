import { describe, expect, it } from 'vitest';
import type { GapReport } from '../gaps/types.ts';
import { gapSummaryLines, gapsHtml, gapsMarkdown } from './gaps-section.ts';

const REPORT: GapReport = {
  generated_at: '2024-05-14T00:00:00.000Z',
  evidence_end: '2024-05-14T00:00:00.000Z',
  discovered_at: null,
  findings: [
    {
      kind: 'logging_stopped',
      severity: 'high',
      source: 'aws.cloudtrail',
      account: '111122223333',
      region: 'us-east-1',
      resource: 'evil|<script>',
      start: '2024-05-13T01:00:00.000Z',
      end: null,
      event_uids: ['a:1'],
      summary: 'StopLogging on trail evil|<script>alert(1)</script>',
      cannot_see: 'API activity',
    },
  ],
  retention: [
    { source: 'aws.cloudtrail', kind: 'coverage', message: 'short', days: 3, event_uids: [] },
  ],
  spacing: [],
  integrity: null,
  method: 'method text',
};

describe('gaps report section', () => {
  it('escapes log content in Markdown', () => {
    const text = gapsMarkdown(REPORT).join('\n');

    expect(text).toContain('StopLogging on trail evil\\|&lt;script&gt;');
    expect(text).toContain('| high | logging_stopped |');
    expect(text).toContain('end of evidence');
  });

  it('escapes log content in HTML', () => {
    const html = gapsHtml(REPORT);

    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('renders nothing without an analysis', () => {
    expect(gapsMarkdown(null)).toEqual([]);
    expect(gapsHtml(undefined)).toBe('');
  });

  it('summarizes findings by kind for the terminal', () => {
    expect(gapSummaryLines(REPORT, 2)).toEqual([
      '  Missing or tampered logs: logging_stopped 1; see reports/report.md',
      '  Retention under 90 days: 1 warning',
      '  Threat intel indicators matched: 2',
    ]);
  });
});
