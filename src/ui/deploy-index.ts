/**
 * The deploy index, `docs/deployments/README.md`: one table row per deploy, newest first, beside the deploy logs
 * (the seed runbook's step 5). Pure: the file's text in, the new text out. Whatever people wrote around the table
 * is kept byte for byte; only the new row is added.
 */
import { escapeMarkdown } from './escape.js';

export interface DeployIndexRow {
  /** YYYY-MM-DD. */
  readonly date: string;
  readonly revision: string;
  readonly tag: string;
  readonly description: string;
  /** e.g. `✅ promu`, `⏪ annulé`, `❌ échoué`. */
  readonly status: string;
  /** The deploy log, relative to the index (e.g. `2025-10-08-deploy-phase3.md`); the date cell links to it. */
  readonly logPath?: string | undefined;
}

export const DEPLOY_INDEX_COLUMNS = ['Date', 'Révision', 'Image Tag', 'Description', 'Statut'] as const;

const TITLE = '# Historique des déploiements';
const INTRO = 'Une ligne par déploiement, la plus récente en premier. Tenu à jour par Liftoff.';

/**
 * A cell's text on one line, through the one markdown escaper: secrets redacted, line breaks made spaces, markup
 * and pipes escaped (with the backslashes before them, which GitHub would otherwise read as escaping the pipe) so
 * the text can neither end the cell nor fake a link or a heading.
 */
export function escapeTableCell(text: string): string {
  return escapeMarkdown(text, { maxLength: 500 });
}

/** Characters that would end a link destination or a cell, percent-encoded. */
function linkDestination(path: string): string {
  return path
    .trim()
    .replace(/[\s()<>|\\]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function rowLine(row: DeployIndexRow): string {
  const dateText = escapeTableCell(row.date);
  const date =
    row.logPath === undefined || row.logPath.trim() === ''
      ? dateText
      : `[${dateText}](${linkDestination(row.logPath)})`;
  const cells = [date, ...[row.revision, row.tag, row.description, row.status].map(escapeTableCell)];
  return `| ${cells.join(' | ')} |`;
}

function headerLines(eol: string): string {
  return `| ${DEPLOY_INDEX_COLUMNS.join(' | ')} |${eol}|${DEPLOY_INDEX_COLUMNS.map(() => ' --- ').join('|')}|`;
}

interface Line {
  /** Without its line ending. */
  readonly text: string;
  /** Offset just past the line ending (or the end of the text). */
  readonly end: number;
  /** `\n`, `\r\n` or '' on the last line. */
  readonly eol: string;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) {
      lines.push({ text: text.slice(start), end: text.length, eol: '' });
      break;
    }
    const crlf = newline > start && text[newline - 1] === '\r';
    lines.push({ text: text.slice(start, crlf ? newline - 1 : newline), end: newline + 1, eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

/** The cells of a table line, without the outer pipes; a pipe after a backslash is content. */
function cellsOf(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** Headers are compared without case or accents: a hand-written `| date | Revision | ...` is the same table. */
function normalized(cell: string): string {
  return cell.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ');
}

const EXPECTED_HEADER = DEPLOY_INDEX_COLUMNS.map(normalized);
const SEPARATOR_CELL = /^:?-+:?$/;

function isIndexHeader(line: string): boolean {
  if (!line.includes('|')) return false;
  const cells = cellsOf(line).map(normalized);
  return cells.length === EXPECTED_HEADER.length && cells.every((cell, index) => cell === EXPECTED_HEADER[index]);
}

function isSeparator(line: string): boolean {
  if (!line.includes('-')) return false;
  const cells = cellsOf(line);
  return cells.length === EXPECTED_HEADER.length && cells.every((cell) => SEPARATOR_CELL.test(cell));
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The separator line of the first index table outside code blocks, or undefined. */
function findSeparator(lines: readonly Line[]): Line | undefined {
  let fence: string | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (line === undefined) break;
    const marker = FENCE.exec(line.text)?.[1];
    if (fence !== undefined) {
      // A fence closes with the same character, at least as long, and nothing after it.
      const closes = marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length;
      if (closes && line.text.trim() === marker) fence = undefined;
      continue;
    }
    if (marker !== undefined) {
      fence = marker;
      continue;
    }
    const next = lines[index + 1];
    if (next !== undefined && isIndexHeader(line.text) && isSeparator(next.text)) return next;
  }
  return undefined;
}

/**
 * Adds a deploy's row to the deploy index. With no file (`null`, or an empty one) it writes a new one: a title,
 * a sentence and the table. Otherwise the row goes right under the header of the file's first
 * `| Date | Révision | Image Tag | Description | Statut |` table (newest first) and every other byte is kept; a file
 * without that table gets one appended. Cells are kept to one line and their pipes escaped.
 */
export function appendDeployIndexRow(existing: string | null, row: DeployIndexRow): string {
  const line = rowLine(row);
  if (existing === null || existing === '') return `${TITLE}\n\n${INTRO}\n\n${headerLines('\n')}\n${line}\n`;

  const lines = linesOf(existing);
  const separator = findSeparator(lines);
  if (separator !== undefined) {
    // A separator on the file's last line, without a line ending, takes one before the row instead.
    const inserted = separator.eol === '' ? `${existingEol(lines)}${line}` : `${line}${separator.eol}`;
    return `${existing.slice(0, separator.end)}${inserted}${existing.slice(separator.end)}`;
  }

  const eol = existingEol(lines);
  const last = lines.at(-1);
  const gap = last === undefined || last.eol === '' ? `${eol}${eol}` : last.text.trim() === '' ? '' : eol;
  return `${existing}${gap}${headerLines(eol)}${eol}${line}${eol}`;
}

/** The file's own line ending: CRLF if its first line ends with one. */
function existingEol(lines: readonly Line[]): string {
  return lines.find((line) => line.eol !== '')?.eol ?? '\n';
}
