import { describe, expect, it } from 'vitest';
import type { AttackSection } from './attack-vector.ts';
import { attackHtml, attackMarkdown } from './attack-vector-render.ts';

const HOSTILE = '<img src=x onerror=alert(1)>|[link](http://x)\u001b[31m';
const TIME = '2024-05-13T01:00:00.000Z';

const SECTION: AttackSection = {
  compromises: [
    {
      indicator: { kind: 'key', value: 'AKIAEXAMPLE000000001' },
      events: 3,
      first_activity: TIME,
      last_activity: TIME,
      dwell_seconds: 3660,
      created: 1,
      changes: 2,
      data_read: 0,
      bytes_read: 0,
    },
  ],
  vectors: [
    {
      verdict: 'leaked_long_term_key',
      access_key: 'AKIAEXAMPLE000000001',
      identity: HOSTILE,
      summary: `Long-term access key AKIAEXAMPLE000000001 of ${HOSTILE} was used.`,
      first_suspicious: { time: TIME, event_uid: 'e1', operation: 'ListBuckets', source: null },
      evidence: ['e1'],
    },
  ],
  chain: [],
  narrative: [`${TIME} UTC, impact: done by ${HOSTILE}.`],
};

describe('attack vector section', () => {
  it('escapes log content in Markdown', () => {
    const text = attackMarkdown(SECTION).join('\n');

    expect(text).toContain('leaked long term key');
    expect(text).toContain('1 h 1 min');
    expect(text).not.toContain('<img');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\[link\\]');
  });

  it('escapes log content in HTML', () => {
    const html = attackHtml(SECTION);

    expect(html).toContain('<h2>Attack vector and chain</h2>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
    expect(html).not.toContain('\u001b');
  });

  it('says when nothing severe was detected', () => {
    const empty = { compromises: [], vectors: [], chain: [], narrative: [] };

    expect(attackMarkdown(empty).join('\n')).toContain('No credential has a detection');
    expect(attackHtml(undefined)).toBe('');
  });
});
