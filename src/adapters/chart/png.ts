/**
 * SVG → PNG without a browser: resvg (Rust, shipped prebuilt in its npm package) draws the chart with the machine's
 * fonts, never downloaded ones. A machine without any font (node:*-slim images have none) would draw the bars without
 * a word, so rendering refuses instead: the caller then posts its text alone.
 */
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/** The width every chart is rendered at, in pixels; the height follows the SVG's aspect ratio. */
export const PNG_WIDTH = 800;

export interface FontOptions {
  /** Default true: the fonts fontconfig's usual directories hold (`fonts-dejavu-core` on Debian). */
  readonly loadSystemFonts?: boolean;
  /** Font files to use as well, for a machine without system fonts. */
  readonly fontFiles?: readonly string[];
}

function fontOf(options: FontOptions): NonNullable<ResvgRenderOptions['font']> {
  return {
    loadSystemFonts: options.loadSystemFonts ?? true,
    ...(options.fontFiles === undefined ? {} : { fontFiles: [...options.fontFiles] }),
    sansSerifFamily: 'DejaVu Sans',
  };
}

function render(svg: string, options: FontOptions): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: PNG_WIDTH },
    font: fontOf(options),
    background: '#ffffff',
    logLevel: 'off',
  });
  return resvg.render().asPng();
}

const canDrawText = new Map<string, boolean>();

/** Whether these fonts draw text at all (resvg silently skips text it has no font for). Asked once per options. */
function drawsText(options: FontOptions): boolean {
  const key = JSON.stringify(fontOf(options));
  let known = canDrawText.get(key);
  if (known === undefined) {
    const probe = (words: string): Buffer =>
      render(
        `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20" font-family="DejaVu Sans, Arial, sans-serif"><text x="2" y="15" font-size="14">${words}</text></svg>`,
        options,
      );
    known = !probe('p95 Hg').equals(probe(''));
    canDrawText.set(key, known);
  }
  return known;
}

/**
 * Renders an SVG document to PNG bytes, {@link PNG_WIDTH} pixels wide. Throws when the SVG cannot be read, or when
 * no font is available to draw its text with.
 */
export function renderPng(svg: string, options: FontOptions = {}): Buffer {
  let fonts: boolean;
  let png: Buffer;
  try {
    fonts = drawsText(options);
    png = render(svg, options);
  } catch (error) {
    throw new Error(
      `the chart could not be rendered to PNG: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!fonts) {
    throw new Error(
      'the chart could not be rendered to PNG: no font to draw its text with (install fonts-dejavu-core, or pass fontFiles)',
    );
  }
  return png;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG's dimensions, read from its IHDR chunk (which the format requires to come first). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 8 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new Error(`not a PNG: the first bytes are ${png.subarray(0, 8).toString('hex') || 'missing'}`);
  }
  if (png.length < 24 || png.readUInt32BE(8) !== 13 || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG: no IHDR chunk after the signature');
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width === 0 || height === 0) throw new Error(`not a PNG: IHDR says ${width} × ${height}`);
  return { width, height };
}
