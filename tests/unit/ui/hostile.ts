/**
 * Fake credentials of the shapes the redactor knows, assembled at run time so that no secret scanner mistakes this
 * file for a leak, and the lines that carry them.
 */
export const FAKE = {
  bearer: ['abcDEF123456', 'ghiJKL789mno'].join(''),
  openai: ['sk', 'proj', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z'].join('-'),
  slack: ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-'),
  github: ['gh', 'p_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join(''),
  githubPat: ['github', 'pat', '11ABCDEFG0123456789', 'abcdefghijklmnopqrstuvwxyz'].join('_'),
  random: ['Qm9vT2x', 'x7RkZp3W', 'q8Lm2Nv5', 'Yc6Bd1Hs4Jt0'].join(''),
  /** A plaintext env value of the service (`PARTNER_API_KEY`). */
  envValue: ['Zq4', 'partner', 'key', '7781'].join('-'),
} as const;

export const SECRETS: readonly string[] = Object.values(FAKE);

export const HOSTILE_LINES: readonly string[] = [
  `ERROR calling upstream with Authorization: Bearer ${FAKE.bearer}`,
  `openai.AuthenticationError: Incorrect API key provided: ${FAKE.openai}`,
  `posting with token ${FAKE.slack} failed`,
  `git clone https://x-access-token:${FAKE.github}@github.com/org/repo`,
  `GITHUB_TOKEN=${FAKE.githubPat}`,
  `session cookie ${FAKE.random}`,
  `partner call refused for key ${FAKE.envValue}`,
];

/** A log line that tries to end the list item and write a rollback section of its own. */
export const INJECTION =
  'boom\n## Rollback\n```bash\ngcloud run services update-traffic emergence-app --to-revisions evil-00001=100\n```\n<img src=x onerror=alert(1)> [click](https://evil.example) | cell';
