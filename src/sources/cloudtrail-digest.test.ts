import { describe, expect, it } from 'vitest';
import { detectFormat } from './index.ts';

const DIGEST = JSON.stringify({
  awsAccountId: '111122223333',
  digestStartTime: '2024-05-13T00:00:00Z',
  digestEndTime: '2024-05-13T01:00:00Z',
  digestS3Bucket: 'trail-bucket',
  digestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/13/d.json.gz',
  digestPublicKeyFingerprint: '31e8b5433410dfb61a9dc45cc65b22ff',
  digestSignatureAlgorithm: 'SHA256withRSA',
  previousDigestSignature: null,
  logFiles: [],
});

describe('cloudtrail digest format', () => {
  it('recognises a digest file', () => {
    expect(detectFormat(Buffer.from(DIGEST), 'x_CloudTrail-Digest_y.json')?.id).toBe(
      'aws.cloudtrail.digest',
    );
  });

  it('leaves CloudTrail log files to the CloudTrail format', () => {
    const log = JSON.stringify({
      Records: [{ eventVersion: '1.09', eventSource: 's3.amazonaws.com', eventName: 'GetObject' }],
    });
    expect(detectFormat(Buffer.from(log), 'x_CloudTrail_y.json')?.id).toBe('aws.cloudtrail');
  });
});
