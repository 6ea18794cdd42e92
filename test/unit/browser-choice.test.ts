import { describe, expect, it } from 'vitest';
import { type ChromiumSearch, chooseChromium } from '../browser/chromium';

/** Which Chromium the console's browser tests drive on a given machine (`docs/local.md`). */
function search(executables: string[], overrides: Partial<ChromiumSearch> = {}): ChromiumSearch {
  return {
    env: { PATH: '/home/dev/bin:/usr/local/bin:/usr/bin' },
    platform: 'linux',
    arch: 'x64',
    home: '/home/dev',
    isExecutable: (path) => executables.includes(path),
    ...overrides,
  };
}

describe('the browser tests find a Chromium as people have it', () => {
  it('take CHROMIUM_PATH first, before any system browser', () => {
    const choice = chooseChromium(search(['/usr/bin/chromium', '/opt/chrome/chrome'], { env: { CHROMIUM_PATH: '/opt/chrome/chrome', PATH: '/usr/bin' } }));
    expect(choice).toEqual({ from: 'CHROMIUM_PATH', path: '/opt/chrome/chrome' });
  });

  it('refuse a CHROMIUM_PATH that is no executable, rather than quietly testing another browser', () => {
    expect(() => chooseChromium(search(['/usr/bin/chromium'], { env: { CHROMIUM_PATH: '/nowhere/chrome', PATH: '/usr/bin' } }))).toThrow(
      'CHROMIUM_PATH is /nowhere/chrome, which is not an executable file',
    );
  });

  it("on Linux, take the first Chrome or Chromium on the PATH (Debian's /usr/bin/chromium, Google Chrome)", () => {
    expect(chooseChromium(search(['/usr/bin/chromium', '/usr/bin/google-chrome']))).toEqual({ from: 'system', path: '/usr/bin/chromium' });
    expect(chooseChromium(search(['/usr/bin/google-chrome-stable']))).toEqual({ from: 'system', path: '/usr/bin/google-chrome-stable' });
    expect(chooseChromium(search(['/usr/local/bin/chromium-browser', '/usr/bin/chromium']))).toEqual({ from: 'system', path: '/usr/local/bin/chromium-browser' });
  });

  it('on Linux, find Chromium or Chrome where their packages put them when the PATH lacks them', () => {
    expect(chooseChromium(search(['/usr/bin/chromium'], { env: { PATH: '/home/dev/bin' } }))).toEqual({ from: 'system', path: '/usr/bin/chromium' });
    expect(chooseChromium(search(['/snap/bin/chromium'], { env: {} }))).toEqual({ from: 'system', path: '/snap/bin/chromium' });
    expect(chooseChromium(search(['/opt/google/chrome/chrome'], { env: { PATH: '/usr/bin' } }))).toEqual({ from: 'system', path: '/opt/google/chrome/chrome' });
  });

  it('on macOS, take Google Chrome or Chromium from /Applications or ~/Applications', () => {
    const mac = { platform: 'darwin' as const, arch: 'arm64', home: '/Users/dev' };
    expect(chooseChromium(search(['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'], mac))).toEqual({
      from: 'system',
      path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    });
    expect(chooseChromium(search(['/Users/dev/Applications/Chromium.app/Contents/MacOS/Chromium'], mac))).toEqual({
      from: 'system',
      path: '/Users/dev/Applications/Chromium.app/Contents/MacOS/Chromium',
    });
  });

  it('on Linux x64 with no browser installed, take the one npm ci brings', () => {
    expect(chooseChromium(search([]))).toEqual({ from: 'npm package' });
    expect(chooseChromium(search([], { env: {} }))).toEqual({ from: 'npm package' });
  });

  it('elsewhere with no browser installed, say what to do', () => {
    expect(() => chooseChromium(search([], { platform: 'darwin', arch: 'arm64' }))).toThrow(
      'no Chrome or Chromium found on this darwin/arm64 machine: install one, or set CHROMIUM_PATH',
    );
    expect(() => chooseChromium(search([], { arch: 'arm64' }))).toThrow('no Chrome or Chromium found on this linux/arm64 machine');
  });
});
