import { appendDeployIndexRow, type DeployIndexRow, escapeTableCell } from '../../../src/ui/deploy-index.js';

const HEADER = '| Date | Révision | Image Tag | Description | Statut |';

const row: DeployIndexRow = {
  date: '2025-10-08',
  revision: 'emergence-app-00275-abc',
  tag: 'deploy-20251008-183707',
  description: 'Phase 2 + Phase 3',
  status: '✅ promu',
  logPath: '2025-10-08-deploy-phase3.md',
};

const ROW_LINE =
  '| [2025-10-08](2025-10-08-deploy-phase3.md) | emergence-app-00275-abc | deploy-20251008-183707 | Phase 2 + Phase 3 | ✅ promu |';

const older =
  '| [2025-10-07](2025-10-07-deploy-phase3.md) | emergence-app-00274-xyz | deploy-20251007-101010 | Phase 2 | ✅ promu |';

describe('appendDeployIndexRow: a new index', () => {
  it.each<[string, string | null]>([
    ['no file', null],
    ['an empty file', ''],
  ])('writes a title and the table for %s', (_label, existing) => {
    const text = appendDeployIndexRow(existing, row);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# /);
    expect(lines).toContain(HEADER);
    const header = lines.indexOf(HEADER);
    expect(lines[header + 1]).toMatch(/^\|( --- \|){5}$/);
    expect(lines[header + 2]).toBe(ROW_LINE);
    expect(text.endsWith(`${ROW_LINE}\n`)).toBe(true);
  });
});

describe('appendDeployIndexRow: an existing index', () => {
  const prose = [
    '# Déploiements',
    '',
    'Notes written by hand, kept as they are.',
    '',
    HEADER,
    '|------|----------|-----------|-------------|--------|',
    older,
    '',
    '## Après la table',
    'More prose | with a pipe.',
    '',
  ].join('\n');

  it.each<[string, string, string]>([
    ['a file with prose around the table', prose, prose.replace('|--------|\n', `|--------|\n${ROW_LINE}\n`)],
    [
      'CRLF line endings',
      prose.replace(/\n/g, '\r\n'),
      prose.replace(/\n/g, '\r\n').replace('|--------|\r\n', `|--------|\r\n${ROW_LINE}\r\n`),
    ],
    [
      'a table with no rows yet, at the end without a newline',
      `# Index\n\n${HEADER}\n| --- | --- | --- | --- | --- |`,
      `# Index\n\n${HEADER}\n| --- | --- | --- | --- | --- |\n${ROW_LINE}`,
    ],
    [
      'a hand-written header without accents, aligned columns',
      '| date | Revision | image tag | description | statut |\n|:---|:---:|---|---|---:|\n' + older + '\n',
      `| date | Revision | image tag | description | statut |\n|:---|:---:|---|---|---:|\n${ROW_LINE}\n${older}\n`,
    ],
    [
      'a table inside a code block first (left alone)',
      `\`\`\`markdown\n${HEADER}\n|---|---|---|---|---|\n\`\`\`\n\n${HEADER}\n|---|---|---|---|---|\n`,
      `\`\`\`markdown\n${HEADER}\n|---|---|---|---|---|\n\`\`\`\n\n${HEADER}\n|---|---|---|---|---|\n${ROW_LINE}\n`,
    ],
  ])('inserts the row first in %s, keeping every other byte', (_label, existing, expected) => {
    expect(appendDeployIndexRow(existing, row)).toBe(expected);
  });

  it('keeps the newest first over several deploys', () => {
    let text = appendDeployIndexRow(null, { ...row, date: '2025-10-01', revision: 'r-1' });
    text = appendDeployIndexRow(text, { ...row, date: '2025-10-02', revision: 'r-2' });
    text = appendDeployIndexRow(text, { ...row, date: '2025-10-03', revision: 'r-3' });
    const revisions = text
      .split('\n')
      .filter((line) => line.startsWith('| [2025'))
      .map((line) => line.split(' | ')[1]);
    expect(revisions).toEqual(['r-3', 'r-2', 'r-1']);
  });

  it.each<[string, string, string]>([
    ['a file without the table', '# Notes\n\nSomething else.\n', '# Notes\n\nSomething else.\n\n'],
    ['a file ending without a newline', '# Notes', '# Notes\n\n'],
    ['a file ending with a blank line', '# Notes\n\n', '# Notes\n\n'],
    [
      'a file with another table',
      '| Date | Version |\n|---|---|\n| 2025 | 1 |\n',
      '| Date | Version |\n|---|---|\n| 2025 | 1 |\n\n',
    ],
  ])('appends a table to %s', (_label, existing, kept) => {
    const text = appendDeployIndexRow(existing, row);
    expect(text.startsWith(kept)).toBe(true);
    expect(text.slice(kept.length).split('\n')).toEqual([
      HEADER,
      expect.stringMatching(/^\|( --- \|){5}$/),
      ROW_LINE,
      '',
    ]);
  });
});

describe('appendDeployIndexRow: cells', () => {
  it.each<[string, Partial<DeployIndexRow>, string]>([
    [
      'pipes escaped',
      { description: 'cache | metrics' },
      '| [2025-10-08](2025-10-08-deploy-phase3.md) | emergence-app-00275-abc | deploy-20251008-183707 | cache \\| metrics | ✅ promu |',
    ],
    [
      'newlines as spaces',
      { description: 'line one\nline two\r\nline three', status: '❌ échoué\n' },
      '| [2025-10-08](2025-10-08-deploy-phase3.md) | emergence-app-00275-abc | deploy-20251008-183707 | line one line two line three | ❌ échoué |',
    ],
    [
      'no link without a log path',
      { logPath: undefined, status: '⏪ annulé' },
      '| 2025-10-08 | emergence-app-00275-abc | deploy-20251008-183707 | Phase 2 + Phase 3 | ⏪ annulé |',
    ],
    [
      'a log path with spaces and parentheses encoded',
      { logPath: 'logs/deploy (1).md' },
      '| [2025-10-08](logs/deploy%20%281%29.md) | emergence-app-00275-abc | deploy-20251008-183707 | Phase 2 + Phase 3 | ✅ promu |',
    ],
  ])('writes %s', (_label, change, expected) => {
    const text = appendDeployIndexRow(null, { ...row, ...change });
    expect(text.split('\n')).toContain(expected);
  });

  it.each<[string, string]>([
    ['a | b', 'a \\| b'],
    ['a\\|b', 'a\\\\\\|b'],
    ['  one\ntwo  ', 'one two'],
    ['plain', 'plain'],
  ])('escapeTableCell(%j) is %j', (text, expected) => {
    expect(escapeTableCell(text)).toBe(expected);
  });

  it('keeps a table row one row, whatever the cells hold', () => {
    const text = appendDeployIndexRow(null, { ...row, description: 'a|b\n| c | d |', tag: 'x\\|y' });
    const line = text.split('\n').find((candidate) => candidate.includes('emergence-app-00275-abc')) ?? '';
    // Unescaped pipes: the borders of five cells, no more.
    expect(line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });
});
