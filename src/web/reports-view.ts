/// <reference lib="dom" />
/**
 * Report: the generated files of the case's `reports/` folder, each previewed (as text, or an
 * HTML report in a frame that may run no script) and downloadable.
 */
import { getJson } from './api.ts';
import { button, formatTime, h, plural, replace } from './dom.ts';
import { errorText } from './errors.ts';
import type { Place } from './router.ts';
import type { ReportFile } from './types.ts';

async function preview(box: HTMLElement, file: ReportFile): Promise<void> {
  const url = `/reports/view?name=${encodeURIComponent(file.name)}`;
  if (file.preview === 'html') {
    replace(
      box,
      h('iframe', { src: url, sandbox: '', title: file.name, 'data-testid': 'report-frame' }),
    );
    return;
  }
  const response = await fetch(url, { credentials: 'same-origin' });
  replace(
    box,
    h('pre', { class: 'report-text', 'data-testid': 'report-text' }, await response.text()),
  );
}

export async function showReports(root: HTMLElement, _place: Place) {
  const files = await getJson<ReportFile[]>('/api/reports');
  const box = h('div', { class: 'report-preview' });
  replace(
    root,
    h('h1', {}, 'Report'),
    files.length === 0
      ? h('p', {}, 'No reports yet: run cloudcase investigate on the case.')
      : null,
    h(
      'table',
      { 'data-testid': 'reports' },
      h(
        'thead',
        {},
        h('tr', {}, ...['file', 'size', 'written', '', ''].map((name) => h('th', {}, name))),
      ),
      h(
        'tbody',
        {},
        ...files.map((file) =>
          h(
            'tr',
            {},
            h('td', {}, file.name),
            h('td', {}, plural(file.bytes, 'byte')),
            h('td', {}, formatTime(file.modified)),
            h(
              'td',
              {},
              file.preview !== 'none' &&
                button(
                  'Preview',
                  () =>
                    void preview(box, file).catch((error: unknown) =>
                      replace(box, errorText(error)),
                    ),
                  {
                    'data-testid': `preview-${file.name}`,
                  },
                ),
            ),
            h(
              'td',
              {},
              h(
                'a',
                {
                  href: `/reports/download?name=${encodeURIComponent(file.name)}`,
                  download: file.download_name,
                  'data-testid': `download-${file.name}`,
                },
                file.name === file.download_name
                  ? 'Download'
                  : `Download decrypted ${file.download_name}`,
              ),
            ),
          ),
        ),
      ),
    ),
    box,
  );
  return undefined;
}
