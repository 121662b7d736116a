import { expect, it } from 'vitest';
import { applyEvents, type FeedItem } from './useLive.js';

it('prepends new interactions once and fills in their sentiment when it arrives', () => {
  const start: FeedItem[] = [{ id: 'old', channel: 'web', eventType: 'page' }];
  const created = {
    id: '1',
    type: 'interaction.created',
    data: { id: 'new', channel: 'chat', eventType: 'msg' },
  };
  let feed = applyEvents(start, [created, created]);
  expect(feed.map((i) => i.id)).toEqual(['new', 'old']);
  feed = applyEvents(feed, [
    {
      id: '2',
      type: 'sentiment.analyzed',
      data: { id: 'new', score: -0.7, sentiment: { label: 'negative' } },
    },
  ]);
  expect(feed[0]).toMatchObject({ id: 'new', sentimentScore: -0.7, sentimentLabel: 'negative', fresh: true });
});
