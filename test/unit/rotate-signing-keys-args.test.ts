import { describe, expect, it } from 'vitest';
import { UsageError } from '../../bin/command-line';
import { formatRotation, parseRotateArgs, rotationRequest } from '../../bin/rotate-signing-keys';

describe('npm run rotate-signing-keys', () => {
  it('targets the stack of the stage, or a named function', () => {
    expect(parseRotateArgs([])).toEqual({ target: 'aws', stackName: 'Latchkey-dev' });
    expect(parseRotateArgs(['--stage', 'prod', '--function-name', 'fn', '--region', 'eu-west-1'])).toEqual({
      target: 'aws',
      stackName: 'Latchkey-prod',
      functionName: 'fn',
      region: 'eu-west-1',
    });
  });

  it('targets the local runtime with --local and an optional data folder', () => {
    expect(parseRotateArgs(['--local', '/tmp/data'])).toEqual({ target: 'local', dataDir: '/tmp/data' });
    const saved = process.env.LATCHKEY_DATA_DIR;
    delete process.env.LATCHKEY_DATA_DIR;
    try {
      expect(parseRotateArgs(['--local'])).toMatchObject({ target: 'local', dataDir: expect.stringMatching(/\/\.latchkey$/) });
    } finally {
      if (saved !== undefined) process.env.LATCHKEY_DATA_DIR = saved;
    }
  });

  it('asks the rotation function to retire the current key with --retire-current, on a stack or the local runtime', () => {
    const onStack = parseRotateArgs(['--stage', 'prod', '--retire-current']);
    expect(onStack).toEqual({ target: 'aws', stackName: 'Latchkey-prod', retireCurrent: true });
    expect(rotationRequest(onStack as Exclude<typeof onStack, 'help'>)).toBe('{"retireCurrent":true}');
    expect(parseRotateArgs(['--retire-current', '--local', '/tmp/data'])).toEqual({ target: 'local', dataDir: '/tmp/data', retireCurrent: true });
    // Without the flag the request is a plain rotation, as the schedule's.
    expect(rotationRequest(parseRotateArgs([]) as Exclude<ReturnType<typeof parseRotateArgs>, 'help'>)).toBe('{}');
    expect(() => parseRotateArgs(['--retire-current=yes'])).toThrow(UsageError);
    expect(() => parseRotateArgs(['--retire'])).toThrow(UsageError);
  });

  it('says which key was retired, and why a retirement did nothing', () => {
    expect(formatRotation({ rotated: true, retired: 'key_b', version: 5, next: 'key_d', current: 'key_c', previous: ['key_a'], withdrawn: ['key_b'] })).toMatch(
      /^Current signing key key_b retired \(version 5\): no longer published, no longer signing\.\n {2}next {6}key_d\n {2}current {3}key_c[\s\S]*withdrawn key_b/,
    );
    expect(formatRotation({ rotated: false, reason: 'no-signing-key' })).toBe('Signing keys not rotated: there is no signing key yet (run a rotation first).\n');
    // KMS mode: the standby key that took over is current, and there may be no key after it.
    expect(formatRotation({ rotated: true, retired: 'kid-a', version: 1, current: 'kid-b', withdrawn: ['kid-a'] })).toMatch(
      /retired \(version 1\)[\s\S]*next {6}\(none\)\n {2}current {3}kid-b/,
    );
    expect(formatRotation({ rotated: false, reason: 'no-standby-key', current: 'kid-b' })).toMatch(/^Signing keys not rotated: no other published signing key could take over/);
  });

  it('refuses unknown options, stray arguments and impossible stages with a usage error', () => {
    expect(() => parseRotateArgs(['--force'])).toThrow(UsageError);
    expect(() => parseRotateArgs(['now'])).toThrow(UsageError);
    expect(() => parseRotateArgs(['--stage', 'Prod!'])).toThrow(/--stage must be a lowercase name/);
  });

  it('says why a rotation did nothing', () => {
    expect(formatRotation({ rotated: false, reason: 'too-soon', version: 3, next: 'key_c', current: 'key_b', previous: ['key_a'] })).toMatch(
      /^Signing keys not rotated: the last rotation was less than the minimum interval ago\.\n {2}next {6}key_c\n {2}current {3}key_b\n {2}previous {2}key_a/,
    );
    expect(formatRotation({ rotated: true, version: 4, next: 'key_d', current: 'key_c', previous: ['key_b'], withdrawn: ['key_a'] })).toMatch(
      /rotated \(version 4\)[\s\S]*withdrawn key_a/,
    );
  });
});
