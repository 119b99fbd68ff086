import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pngSize, renderPng } from '../../../src/adapters/chart/png.js';
import { metricsChartSvg } from '../../../src/ui/metrics-chart.js';
import { chartDataOf, EXPOSITION } from './helpers.js';

/** Debian's fonts-dejavu-core; the test that needs it is skipped on a machine without it. */
const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('renderPng', () => {
  it('renders the metrics chart to a PNG of sane size', () => {
    const png = renderPng(metricsChartSvg(chartDataOf(EXPOSITION), { title: 'Metrics · seed → emergence-app' }));
    expect(png.subarray(0, 8).equals(SIGNATURE)).toBe(true);
    const { width, height } = pngSize(png);
    expect(width).toBe(800);
    expect(height).toBeGreaterThanOrEqual(200);
    expect(height).toBeLessThanOrEqual(1000);
    expect(png.length).toBeGreaterThan(2 * 1024);
    expect(png.length).toBeLessThan(1024 * 1024);
    // To look at it: CHART_OUTPUT=1 npm run jest -- tests/integration/adapters-chart
    if (process.env['CHART_OUTPUT'] !== undefined) writeFileSync(join(tmpdir(), 'liftoff-metrics-chart.png'), png);
  });

  it('renders the chart of a scrape with no data', () => {
    const png = renderPng(metricsChartSvg(chartDataOf('memory_analysis_cache_size 0\n'), { title: 'Metrics <&>' }));
    expect(pngSize(png)).toEqual({ width: 800, height: 400 });
  });

  it('draws text with a system font (a chart without its words is no chart)', () => {
    const svg = (words: string): string =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50" font-family="DejaVu Sans, Arial, sans-serif"><text x="10" y="30" font-size="20">${words}</text></svg>`;
    expect(renderPng(svg('p95 2.5 s')).equals(renderPng(svg('')))).toBe(false);
  });

  it('scales any SVG to 800 pixels wide', () => {
    const png = renderPng(
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100"><rect width="10" height="10"/></svg>',
    );
    expect(pngSize(png)).toEqual({ width: 800, height: 200 });
  });

  it('refuses to draw a chart without words when no font is available', () => {
    const svg = metricsChartSvg(chartDataOf(EXPOSITION), { title: 'Metrics' });
    expect(() => renderPng(svg, { loadSystemFonts: false })).toThrow(/no font to draw its text with/);
  });

  (existsSync(DEJAVU_SANS) ? it : it.skip)('draws with the font files it is given', () => {
    const svg = metricsChartSvg(chartDataOf(EXPOSITION), { title: 'Metrics' });
    const withFile = renderPng(svg, { loadSystemFonts: false, fontFiles: [DEJAVU_SANS] });
    expect(pngSize(withFile)).toEqual({ width: 800, height: 400 });
  });

  it('throws a clear error on a document it cannot read', () => {
    expect(() => renderPng('<svg><text>unclosed')).toThrow(/could not be rendered to PNG/);
  });
});

describe('pngSize', () => {
  it('reads the size from the IHDR chunk', () => {
    const header = Buffer.concat([
      SIGNATURE,
      Buffer.from([0, 0, 0, 13]),
      Buffer.from('IHDR', 'latin1'),
      Buffer.from([0, 0, 0x03, 0x20, 0, 0, 0x01, 0x90, 8, 6, 0, 0, 0]),
    ]);
    expect(pngSize(header)).toEqual({ width: 800, height: 400 });
  });

  it('refuses what is not a PNG', () => {
    expect(() => pngSize(Buffer.from('GIF89a....................'))).toThrow(/not a PNG: the first bytes are 474946/);
    expect(() => pngSize(Buffer.alloc(0))).toThrow(/not a PNG/);
    expect(() => pngSize(Buffer.concat([SIGNATURE, Buffer.from('0000IDAT')]))).toThrow(/no IHDR chunk/);
  });
});
