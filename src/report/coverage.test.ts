import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../core/event.ts';
import { logCoverage, missingSentence } from './coverage.ts';

describe('log coverage', () => {
  it('counts an audit log for audit and for the categories its own events evidence', () => {
    const at = (day: number) => `2024-01-0${day}T00:00:00.000Z`;
    const rows = logCoverage(
      [
        { source: 'trail', category: 'network', events: 4, first_time: at(1), last_time: at(2) },
        { source: 'trail', category: 'secrets', events: 2, first_time: at(3), last_time: at(3) },
        { source: 'kube', category: 'kubernetes', events: 3, first_time: at(2), last_time: at(4) },
        { source: 'other', category: 'database', events: 1, first_time: at(5), last_time: at(5) },
      ],
      (source) =>
        source === 'trail'
          ? { logCategory: 'audit', alsoCovers: ['secrets'] }
          : source === 'kube'
            ? { logCategory: 'kubernetes' }
            : undefined,
    );

    expect(rows.map((row) => row.category)).toEqual([...CATEGORIES]);
    const byName = new Map(rows.map((row) => [row.category, row]));
    expect(byName.get('audit')).toMatchObject({
      present: true,
      events: 6,
      sources: ['trail'],
      first_time: at(1),
      last_time: at(3),
    });
    expect(byName.get('secrets')).toMatchObject({ present: true, events: 2 });
    // Network API calls in an audit log show no connections, so network stays missing.
    expect(byName.get('network')).toMatchObject({ present: false, events: 0, first_time: null });
    expect(byName.get('network')?.blind_spot).toContain('bytes');
    expect(byName.get('kubernetes')).toMatchObject({ present: true, sources: ['kube'] });
    // A source of no known format counts each event for its own category.
    expect(byName.get('database')).toMatchObject({ present: true, sources: ['other'] });
    expect(missingSentence(rows)).toBe(
      'No network, compute, storage, identity logs in the case: ' +
        'the evidence cannot show what they record.',
    );
  });

  it('counts Kubernetes reads of Secret objects for secrets and kubernetes', () => {
    const time = '2024-01-01T00:00:00.000Z';
    const rows = logCoverage([
      { source: 'k8s.audit', category: 'secrets', events: 2, first_time: time, last_time: time },
    ]);
    const byName = new Map(rows.map((row) => [row.category, row]));

    expect(byName.get('secrets')).toMatchObject({ present: true, sources: ['k8s.audit'] });
    expect(byName.get('kubernetes')).toMatchObject({ present: true, events: 2 });
  });

  it('says nothing is missing when every category has events', () => {
    const all = CATEGORIES.map((category) => ({
      source: 'x',
      category,
      events: 1,
      first_time: '2024-01-01T00:00:00.000Z',
      last_time: '2024-01-01T00:00:00.000Z',
    }));
    expect(missingSentence(logCoverage(all))).toBeNull();
  });

  it('counts flow entries of an audit export for network only', () => {
    const at = '2024-01-01T00:00:00.000Z';
    const rows = logCoverage([
      { source: 'gcp.vpcflow', category: 'network', events: 2, first_time: at, last_time: at },
    ]);
    const byName = new Map(rows.map((row) => [row.category, row]));

    expect(byName.get('network')).toMatchObject({ present: true, sources: ['gcp.vpcflow'] });
    expect(byName.get('audit')?.present).toBe(false);
  });
});
