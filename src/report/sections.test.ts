import { describe, expect, it } from 'vitest';
import type { CaseDb } from '../store/case-db.ts';
import {
  buildSections,
  type ReportSection,
  sectionsHtml,
  sectionsMarkdown,
  sectionsSummary,
} from './sections.ts';

const SCRIPT = '<script>alert(1)</script>';
const ANSI = '\u001b[31m';

const hostile: ReportSection = {
  id: 'hostile',
  title: `Entities ${SCRIPT}`,
  blocks: [
    { kind: 'text', text: `seen ${SCRIPT}${ANSI}` },
    { kind: 'list', items: [`[x](http://example.test) ${ANSI}`] },
    {
      kind: 'table',
      columns: ['name', 'count'],
      rows: [
        [`a|b ${SCRIPT}`, 3],
        [null, 0],
      ],
    },
  ],
  summary: [`2 entities ${ANSI}`],
};

const db = {} as CaseDb;

describe('report sections', () => {
  it('keeps built sections in order and drops null ones', async () => {
    const sections = await buildSections(db, [
      async () => hostile,
      async () => null,
      async () => ({ ...hostile, id: 'second' }),
    ]);

    expect(sections.map((s) => s.id)).toEqual(['hostile', 'second']);
  });

  it('reports a builder that throws', async () => {
    const sections = await buildSections(db, [
      async () => {
        throw new Error('baseline table missing');
      },
    ]);

    expect(sections).toHaveLength(1);
    expect(sections[0]?.title).toBe('Section 1 failed');
    expect(sectionsSummary(sections)).toContain(
      '  A report section failed: baseline table missing',
    );
  });

  it('escapes section content in every format', () => {
    const markdown = sectionsMarkdown([hostile]).join('\n');
    const html = sectionsHtml([hostile]);
    const summary = sectionsSummary([hostile]).join('\n');

    expect(markdown).not.toContain(SCRIPT);
    expect(markdown).not.toContain(ANSI);
    expect(markdown).toContain('a\\|b');
    expect(markdown).toContain('\\[x\\]');
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toContain(ANSI);
    expect(html).toContain('&lt;script&gt;');
    expect(summary).not.toContain(ANSI);
    expect(summary).toContain('\\x1b[31m');
  });

  it('leaves a section without summary lines out of the terminal', () => {
    const { summary: _omitted, ...quiet } = hostile;

    expect(sectionsSummary([quiet])).toEqual([]);
  });
});
