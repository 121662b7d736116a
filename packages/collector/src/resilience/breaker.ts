import { HeedError } from '../errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Name in logs and metrics (`database`, `analysis`). */
  name: string;
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial call is let through (ms). Default 5000. */
  cooldownMs?: number;
  /** Which errors count as failures (others pass through and count as successes). Default: all. */
  isFailure?: (err: unknown) => boolean;
  /** Called on every state change. */
  onStateChange?: (state: BreakerState, name: string) => void;
  now?: () => number;
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and refuses calls at once
 * (503 with Retry-After) instead of letting every request wait for a dead dependency; after the
 * cooldown one trial call goes through (half-open) and its outcome closes or re-opens the circuit.
 */
export class CircuitBreaker {
  readonly name: string;
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  /** Calls refused while open. */
  rejected = 0;
  private readonly o: Required<Omit<BreakerOptions, 'onStateChange'>> & Pick<BreakerOptions, 'onStateChange'>;

  constructor(opts: BreakerOptions) {
    this.o = {
      failureThreshold: 5,
      cooldownMs: 5000,
      isFailure: () => true,
      now: Date.now,
      ...opts,
    };
    this.name = opts.name;
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.o.now() - this.openedAt >= this.o.cooldownMs) return 'half-open';
    return this.current;
  }

  /** Seconds until a trial call will be let through (at least 1). */
  get retryAfterSeconds(): number {
    const left = this.o.cooldownMs - (this.o.now() - this.openedAt);
    return Math.max(1, Math.ceil(left / 1000));
  }

  /** Runs `fn` unless the circuit is open; records its outcome. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const trial = this.admit();
    try {
      const value = await fn();
      this.success();
      return value;
    } catch (err) {
      if (this.countsAsFailure(err)) this.failure();
      else this.success();
      throw err;
    } finally {
      if (trial) this.trialDone();
    }
  }

  /** Whether this error should count towards opening the circuit. */
  countsAsFailure(err: unknown): boolean {
    return this.o.isFailure(err);
  }

  /** The trial call admitted in half-open state has finished. */
  trialDone(): void {
    this.trialInFlight = false;
  }

  /** Throws the 503 when the call may not go through; returns true when this call is the trial call. */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return false;
    if (state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return true;
    }
    this.rejected++;
    throw new HeedError('service_unavailable', `The ${this.name} circuit is open; retry shortly`, {
      retryAfter: this.retryAfterSeconds,
    });
  }

  success(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(): void {
    this.failures++;
    // A failed trial re-opens at once; a closed circuit opens after the threshold.
    if (this.current === 'open' || this.failures >= this.o.failureThreshold) {
      this.openedAt = this.o.now();
      if (this.current !== 'open') this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.o.onStateChange?.(state, this.name);
  }
}
