import { describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from './chromium.ts';

describe('launchChromium', () => {
  it('renders a page in headless Chromium', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.setContent('<p id="x">rendered</p>');
      expect(await page.textContent('#x')).toBe('rendered');
    } finally {
      await browser.close();
    }
  });

  it('names the package to install when the browser is missing', () => {
    expect(() => chromiumPath({ CLOUDCASE_CHROMIUM: '/nonexistent/chromium' })).toThrow(
      /apt-get install -y chromium/,
    );
  });
});
