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
      data_read: 3,
      bytes_read: null,
      data_read_totals: {
        resources: 3,
        reads: 3,
        bytes: null,
        reads_with_bytes: 0,
        object_size: 13_219_749,
        reads_with_size: 3,
      },
      flow_totals: { flows: 4, bytes: 2_111_390 },
      suspicious_sources: [{ source: '203.0.113.9', events: 5, first_seen: TIME, last_seen: TIME }],
      usual_sources: [
        { source: '192.0.2.10<script>', events: 3, first_seen: TIME, last_seen: TIME },
      ],
    },
  ],
  vectors: [
    {
      verdict: 'leaked_long_term_key',
      access_key: 'AKIAEXAMPLE000000001',
      identity: HOSTILE,
      summary: `Long-term access key AKIAEXAMPLE000000001 of ${HOSTILE} was used.`,
      first_suspicious: {
        time: TIME,
        event_uid: 'e1',
        operation: 'ListBuckets',
        status: 'success',
        source: null,
      },
      evidence: ['e1'],
    },
  ],
  chain: [],
  narrative: [`${TIME} UTC, impact: done by ${HOSTILE}.`],
  changes: [
    {
      time: TIME,
      operation: 'DeleteFlowLogs',
      service: 'ec2.amazonaws.com',
      actor: HOSTILE,
      resources: ['fl-0123'],
      event_uid: 'e2',
      rollback: 'create the flow logs again',
    },
  ],
  change_count: 1,
  data_read: [
    {
      resource: `arn:aws:s3:::bucket/${HOSTILE}`,
      type: 'AWS::S3::Object',
      operation: 'REST.GET.OBJECT',
      events: 1,
      bytes: null,
      object_size: 4_406_583,
    },
  ],
  data_read_count: 3,
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

  it('lists changes to roll back', () => {
    const text = attackMarkdown(SECTION).join('\n');

    expect(text).toContain('### Changes to roll back');
    expect(text).toContain('| DeleteFlowLogs | fl-0123 |');
    expect(text).toContain('create the flow logs again');
  });

  it('states data read and unlogged bytes', () => {
    const text = attackMarkdown(SECTION).join('\n');

    expect(text).toContain('### Data read');
    expect(text).toContain(
      '3 objects or secrets read in 3 reads; bytes sent not logged; object sizes 13,219,749 bytes (12.6 MiB)',
    );
    expect(text).toContain('| not logged |');
    expect(text).toContain('4,406,583 bytes (4.2 MiB)');
    expect(text).toContain('The first 1 of 3 objects and secrets');
    expect(text).toContain(
      'network flows of its addresses: 4 flow records, 2,111,390 bytes (2.0 MiB) sent.',
    );
  });

  it('escapes log content in HTML', () => {
    const html = attackHtml(SECTION);

    expect(html).toContain('<h2>Attack vector and chain</h2>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('<h3>Changes to roll back</h3>');
    expect(html).toContain('<td>create the flow logs again</td>');
    expect(html).toContain('<h3>Data read</h3>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('192.0.2.10&lt;script&gt; (3 events), is left out of the scope.');
  });

  it('separates the usual sources from the intruder', () => {
    const text = attackMarkdown(SECTION).join('\n');

    expect(text).toContain(
      "- key AKIAEXAMPLE000000001: the intruder's source is 203.0.113.9 (5 events).",
    );
    expect(text).toContain('is left out of the scope.');
  });

  it('says when nothing severe was detected', () => {
    const empty = {
      compromises: [],
      vectors: [],
      chain: [],
      narrative: [],
      changes: [],
      change_count: 0,
      data_read: [],
      data_read_count: 0,
    };

    expect(attackMarkdown(empty).join('\n')).toContain('No credential has a detection');
    expect(attackHtml(undefined)).toBe('');
  });
});
