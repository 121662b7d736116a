import type { SequencedEvent } from './hub.js';

interface OrgBuffer {
  events: SequencedEvent[];
  /** Every event with an id above `floor` (up to `newest`) is in `events`; undefined: unknown. */
  floor: number | undefined;
  newest: number | undefined;
}

export type Replay =
  | { kind: 'replay'; events: SequencedEvent[] }
  /** Too much was missed (or the id is unknown here): the client must refetch its state. */
  | { kind: 'resync'; newest: number | undefined };

/**
 * The last `size` events of each organization, for Last-Event-ID replay. With `contiguous` ids (one
 * counter per organization, shared by every instance) a skipped id is detected as a gap; `knownSince`
 * is the id above which this process has seen everything (local ids), undefined when unknown.
 */
export class ReplayBuffer {
  private readonly orgs = new Map<string, OrgBuffer>();

  constructor(
    private readonly size: number,
    private readonly contiguous: boolean,
    private readonly knownSince: number | undefined,
  ) {}

  /** Appends events in id order; returns the new ones and whether ids were skipped before them. */
  append(organizationId: string, events: SequencedEvent[]): { fresh: SequencedEvent[]; gap: boolean } {
    const b = this.get(organizationId);
    const fresh: SequencedEvent[] = [];
    let gap = false;
    for (const e of events) {
      if (b.newest !== undefined && e.id <= b.newest) continue; // already seen
      if (b.newest === undefined || (this.contiguous && e.id !== b.newest + 1)) {
        if (b.newest !== undefined) gap = true;
        b.events = [];
        b.floor = this.contiguous ? e.id - 1 : b.floor;
      }
      b.events.push(e);
      b.newest = e.id;
      fresh.push(e);
      if (b.events.length > this.size) b.floor = b.events.shift()!.id;
    }
    return { fresh, gap };
  }

  /** What a client that last saw `lastId` missed. */
  since(organizationId: string, lastId: number): Replay {
    const b = this.get(organizationId);
    if (b.floor === undefined || b.newest === undefined || lastId < b.floor || lastId > b.newest) {
      return { kind: 'resync', newest: b.newest };
    }
    return { kind: 'replay', events: b.events.filter((e) => e.id > lastId) };
  }

  newest(organizationId: string): number | undefined {
    return this.get(organizationId).newest;
  }

  /** Forgets what is known (events may have been lost): the next reconnects resync. */
  reset(organizationId: string | null): void {
    if (organizationId === null) this.orgs.clear();
    else this.orgs.delete(organizationId);
  }

  private get(organizationId: string): OrgBuffer {
    let b = this.orgs.get(organizationId);
    if (!b) {
      b = { events: [], floor: this.knownSince, newest: this.knownSince };
      this.orgs.set(organizationId, b);
    }
    return b;
  }
}
