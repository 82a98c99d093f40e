import { describe, expect, it } from 'vitest';
import type { HuntResult } from '../../pipeline/hunt.ts';
import { renderHunt } from './hunt.ts';

const RESULT: HuntResult = {
  case_dir: '/tmp/case',
  events: 1,
  rules: [
    {
      id: 'r1',
      title: 'One match',
      level: 'high',
      file: 'one.yml',
      kind: 'detection',
      matches: 1,
      added: 1,
      explanations: [],
    },
  ],
  problems: [],
  detections_added: 1,
  correlation_hits_added: 0,
  seconds: 0.1,
  reports: [],
  intel: {
    files: [],
    indicators: 40,
    indicators_matched: 5,
    events_matched: 212,
    problems: 1,
  },
};

describe('hunt text output', () => {
  it('counts matched indicators and events apart', () => {
    const text = renderHunt(RESULT);

    expect(text).toContain(
      'Threat intel: 40 indicators from 0 files, 5 of them matched 212 events; 1 entry could not be read.',
    );
  });

  it('writes one event in the singular', () => {
    const text = renderHunt(RESULT);

    expect(text).toContain(
      '1 rule ran over 1 event in 0.1 s; 1 new detection, 0 new correlation hits.',
    );
    expect(text).toMatch(/^ +1 event +One match \(1 new\)$/m);
  });
});
