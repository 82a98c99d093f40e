import { launchChromium } from '../core/chromium.ts';

/**
 * Prints a self-contained HTML page to PDF (A4, with backgrounds) in headless Chromium. Every
 * request the page would make is aborted, so the PDF shows only what the HTML holds.
 */
export async function printPdf(html: string): Promise<Buffer> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });

    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
