/** An event published to an organization's live stream. */
export interface HubEvent {
  type: 'interaction.created' | 'sentiment.analyzed' | 'anomaly.detected';
  data: unknown;
}

export type HubListener = (organizationId: string, event: HubEvent) => void;

/** In-process fan-out of organization-scoped events. */
export class Hub {
  private readonly listeners = new Set<HubListener>();

  publish(organizationId: string, event: HubEvent): void {
    for (const l of this.listeners) {
      try {
        l(organizationId, event);
      } catch {
        // A failing listener must not break ingestion.
      }
    }
  }

  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
