import { Script } from 'node:vm';
import { CONSOLE_PAGE } from '../../../sandbox/console/console-page.js';

describe('the console page', () => {
  it('carries a script that parses (a template-literal escape slip breaks the whole page)', () => {
    const script = CONSOLE_PAGE.slice(
      CONSOLE_PAGE.indexOf('<script>') + '<script>'.length,
      CONSOLE_PAGE.indexOf('</script>'),
    );
    expect(script.length).toBeGreaterThan(1000);
    // Compiled, never run: a syntax error throws here.
    expect(() => new Script(script)).not.toThrow();
  });
});
