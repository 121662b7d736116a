import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

describe('password policy', () => {
  it('needs 12 characters with upper and lower case, a digit and a symbol', () => {
    expect(passwordProblem('Correct-Horse-9')).toBeNull();
    expect(passwordProblem('Sh0rt-pass!')).toContain('at least 12 characters');
    expect(passwordProblem('no-upper-case-9')).toContain('an upper-case letter');
    expect(passwordProblem('NO-LOWER-CASE-9')).toContain('a lower-case letter');
    expect(passwordProblem('No-Digits-Here!')).toContain('a digit');
    expect(passwordProblem('NoSymbolsHere99')).toContain('a symbol');
    expect(passwordProblem(`Aa1!${'x'.repeat(80)}`)).toContain('at most 72');
  });
});

describe('verifyPassword', () => {
  it('checks bcrypt hashes (cost 10)', async () => {
    const hash = await hashPassword('Correct-Horse-9');
    expect(hash).toMatch(/^\$2[aby]\$10\$/);
    expect(await verifyPassword('Correct-Horse-9', hash)).toBe(true);
    expect(await verifyPassword('Correct-Horse-8', hash)).toBe(false);
    expect(await verifyPassword('Correct-Horse-9', 'not-a-bcrypt-hash')).toBe(false);
  });

  it('spends a bcrypt comparison on an unknown account too, so timing does not reveal it', async () => {
    const hash = await hashPassword('Correct-Horse-9');
    await verifyPassword('warm-up', undefined); // the dummy hash is made once
    const time = async (h: string | undefined) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await verifyPassword('Wrong-Horse-9!', h);
      return performance.now() - start;
    };
    const known = await time(hash);
    const unknown = await time(undefined);
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(unknown).toBeGreaterThan(known * 0.3);
    expect(unknown).toBeLessThan(known * 3);
  });
});
