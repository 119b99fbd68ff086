import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogLevel } from '@slack/logger';
import { chromium, type Browser } from 'playwright-core';
import { readConfig } from '../../src/bot/config.js';
import { defaultLogger } from '../../src/bot/liftoff.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/start-sandbox.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true')
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

(available ? describe : describe.skip)('the sandbox console in a real browser', () => {
  let sandbox: RunningSandbox;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-console-'));
    sandbox = await startSandbox({
      config: readConfig({ PORT: '0', LIFTOFF_DATA_DIR: dataDir }),
      logger: defaultLogger(LogLevel.ERROR),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('requests a deploy, switches to the approver, approves, sees it promoted and opens the deploy log', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(sandbox.consoleUrl);
    await page.locator('#user option').first().waitFor({ state: 'attached' });
    await page.locator('#composer').fill('/deploy phase3');
    await page.keyboard.press('Enter');
    const approve = page.getByRole('button', { name: 'Approve' });
    await approve.waitFor({ timeout: 15_000 });

    await page.locator('#user').selectOption({ label: 'Sam (approver)' });
    await approve.click();
    await page.getByText('is live').waitFor({ timeout: 120_000 });
    await page.getByText('Promoted:').first().waitFor();

    const logCommit = page.locator('#commits button', { hasText: 'docs: deploy log phase3' });
    await logCommit.waitFor({ timeout: 20_000 });
    await logCommit.click();
    await page.locator('#doc').getByText('Déploiement Phase 3 Production').waitFor();
    await page.locator('#doc').getByText('Métriques Initiales').waitFor();

    await page.locator('#tab-home').click();
    await page.locator('#feed').getByText('promoted').first().waitFor({ timeout: 10_000 });

    const out = path.join('test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, 'console.png'), fullPage: true });
    expect(existsSync(path.join(out, 'console.png'))).toBe(true);
  }, 180_000);
});
