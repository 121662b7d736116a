import { describe, expect, it } from 'vitest';
import analyse from './worker.js';

describe('Piscina worker entry', () => {
  it('scores a task with the bundled model', async () => {
    const results = await analyse({ texts: ['thank you so much, brilliant!', 'this is broken and useless'] });
    expect(results.map((r) => r.label)).toEqual(['positive', 'negative']);
  });

  it('rejects malformed tasks', async () => {
    await expect(analyse({ texts: 'hello' as unknown as string[] })).rejects.toThrow(TypeError);
  });

  it('reports a missing model directory', async () => {
    await expect(analyse({ texts: ['x'], modelDir: '/nonexistent/model' })).rejects.toThrow(/no model\.json/);
  });
});
