import { describe, expect, it } from 'vitest';
import { backoffMs, LiveClient, type LiveEvent, type LiveStatus } from './live.js';

class FakeEventSource {
  static all: FakeEventSource[] = [];
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, (e: MessageEvent<string>) => void>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, l: (e: MessageEvent<string>) => void) {
    this.listeners.set(type, l);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown, lastEventId = '') {
    this.listeners.get(type)?.({ data: JSON.stringify(data), lastEventId } as MessageEvent<string>);
  }
}

function harness() {
  FakeEventSource.all = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const statuses: LiveStatus[] = [];
  const events: LiveEvent[] = [];
  let resyncs = 0;
  const urls: Array<string | undefined> = [];
  const client = new LiveClient({
    url: async (last) => {
      urls.push(last);
      return `/v1/stream?lastEventId=${last ?? ''}`;
    },
    handlers: {
      events: (e) => events.push(...e),
      resync: () => resyncs++,
      status: (s) => statuses.push(s),
    },
    EventSource: FakeEventSource,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    clearTimeout: () => {},
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { client, timers, statuses, events, urls, flush, resyncs: () => resyncs };
}

describe('LiveClient', () => {
  it('backs off 1, 2, 4, 8, 16 then 30 s between failed connections, and resets once live', async () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const h = harness();
    h.client.start();
    await h.flush();
    for (let i = 0; i < 4; i++) {
      FakeEventSource.all.at(-1)!.onerror?.(new Event('error'));
      h.timers.at(-1)!.fn();
      await h.flush();
    }
    expect(h.timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 8000]);
    FakeEventSource.all.at(-1)!.onopen?.(new Event('open'));
    FakeEventSource.all.at(-1)!.onerror?.(new Event('error'));
    expect(h.timers.at(-1)!.ms).toBe(1000);
    expect(h.statuses.some((s) => s.state === 'live')).toBe(true);
  });

  it('resumes from the last event id, and refetches over REST when told to resync', async () => {
    const h = harness();
    h.client.start();
    await h.flush();
    const first = FakeEventSource.all[0]!;
    first.onopen?.(new Event('open'));
    expect(h.resyncs()).toBe(1); // fresh connection: state comes from REST
    first.emit('interaction.created', [{ id: '7', data: { id: 'a' } }], '7');
    expect(h.events).toEqual([{ id: '7', type: 'interaction.created', data: { id: 'a' } }]);
    first.onerror?.(new Event('error'));
    expect(first.closed).toBe(true);
    h.timers.at(-1)!.fn();
    await h.flush();
    expect(h.urls).toEqual([undefined, '7']);
    const second = FakeEventSource.all[1]!;
    second.onopen?.(new Event('open'));
    expect(h.resyncs()).toBe(1); // replayed, not refetched
    second.emit('resync', { reason: 'missed' }, '120');
    expect(h.resyncs()).toBe(2);
    h.client.stop();
    expect(second.closed).toBe(true);
    expect(h.statuses.at(-1)).toEqual({ state: 'stopped', reason: 'stopped' });
  });
});
