/**
 * Names the stream a record came from: its path, which for an archive member already ends with
 * `!member`. Records stored without the member in their path get it appended.
 */
export function streamLabel(record: { path: string; member: string | null }): string {
  if (record.member === null || record.path.endsWith(`!${record.member}`)) return record.path;

  return `${record.path}!${record.member}`;
}
