import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../lib/api.js';
import { LiveClient, type LiveEvent, type LiveStatus } from '../lib/live.js';

export interface FeedItem {
  id: string;
  customerId?: string;
  externalId?: string;
  segment?: string | null;
  channel: string;
  eventType: string;
  content?: string | null;
  timestamp?: string;
  sentimentScore?: number | null;
  sentimentLabel?: string | null;
  /** Arrived over the stream (highlighted). */
  fresh?: boolean;
}

export interface Live {
  status: LiveStatus;
  feed: FeedItem[];
  /** Increases when data changed (live events or a resync): views refetch their aggregates. */
  version: number;
  retry(): void;
}

const FEED_SIZE = 50;

interface InsightRow {
  id: string;
  customerId: string;
  externalId: string;
  segment: string | null;
  channel: string;
  eventType: string;
  content: string | null;
  timestamp: string;
  sentimentScore: number | null;
  sentiment: { label: string } | null;
}

/** The live feed and connection state, shared by the pages. */
export function useLive(api: Api): Live {
  const [status, setStatus] = useState<LiveStatus>({ state: 'connecting' });
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [version, setVersion] = useState(0);
  const bump = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const client = useRef<LiveClient | undefined>(undefined);

  const reload = useCallback(async () => {
    const page = await api
      .get<{ data: InsightRow[] }>('/api/insights', { pageSize: 20, sortBy: 'timestamp', order: 'desc' })
      .catch(() => ({ data: [] }));
    setFeed(
      page.data.map((r) => ({
        ...r,
        sentimentLabel: r.sentiment?.label ?? null,
      })),
    );
    setVersion((v) => v + 1);
  }, [api]);

  useEffect(() => {
    const onEvents = (events: LiveEvent[]) => {
      setFeed((current) => applyEvents(current, events));
      // Aggregates follow within a couple of seconds, not on every event.
      if (!bump.current)
        bump.current = setTimeout(() => {
          bump.current = undefined;
          setVersion((v) => v + 1);
        }, 1500);
    };
    const c = new LiveClient({
      url: async (lastEventId) => {
        const { token } = await api.post<{ token: string }>('/api/stream-token');
        const q = new URLSearchParams({ token });
        if (lastEventId) q.set('lastEventId', lastEventId);
        return `/v1/stream?${q}`;
      },
      handlers: { events: onEvents, resync: () => void reload(), status: setStatus },
    });
    client.current = c;
    c.start();
    return () => {
      c.stop();
      clearTimeout(bump.current);
    };
  }, [api, reload]);

  const retry = useCallback(() => client.current?.retryNow(), []);
  return useMemo(() => ({ status, feed, version, retry }), [status, feed, version, retry]);
}

export function applyEvents(feed: FeedItem[], events: LiveEvent[]): FeedItem[] {
  let next = feed;
  for (const e of events) {
    const d = e.data;
    if (e.type === 'interaction.created' && typeof d.id === 'string') {
      if (next.some((i) => i.id === d.id)) continue;
      next = [{ ...(d as unknown as FeedItem), fresh: true }, ...next].slice(0, FEED_SIZE);
    } else if (e.type === 'sentiment.analyzed' && typeof d.id === 'string') {
      const label = (d.sentiment as { label?: string } | undefined)?.label ?? null;
      next = next.map((i) =>
        i.id === d.id ? { ...i, sentimentScore: d.score as number, sentimentLabel: label } : i,
      );
    }
  }
  return next;
}

export function StatusPill({ status, onRetry }: { status: LiveStatus; onRetry: () => void }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (status.state !== 'waiting') return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [status]);
  const text =
    status.state === 'live'
      ? 'Live'
      : status.state === 'connecting'
        ? 'Connecting…'
        : status.state === 'waiting'
          ? `Reconnecting in ${Math.round(status.retryInMs / 1000)} s`
          : 'Offline';
  return (
    <span class={`status ${status.state}`} data-testid="live-status">
      <span class="dot" />
      {text}
      {status.state === 'waiting' && (
        <button type="button" class="link" onClick={onRetry}>
          retry now
        </button>
      )}
    </span>
  );
}
