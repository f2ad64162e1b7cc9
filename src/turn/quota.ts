/**
 * Allocation quotas: how many allocations one user (a static user, or the
 * USER part of a REST username) and the whole server may hold. The server
 * takes a slot before it binds any port and gives it back when the
 * allocation ends or could not be made.
 *
 * `LocalQuota` counts in the process. A server spread over threads shares one
 * count in the main thread behind the same interface, which is why taking a
 * slot may be asynchronous.
 */

/** Why a slot was refused: the user's quota (486) or the server's (508). */
export type QuotaRefusal = 'user' | 'total';

/** Slots of allocations, by quota key. */
export interface AllocationQuota {
  /** Takes a slot for the key; resolves with the refusal when there is none. */
  acquire(quotaKey: string): QuotaRefusal | undefined | Promise<QuotaRefusal | undefined>;
  /** Gives back a slot taken with `acquire`. */
  release(quotaKey: string): void;
}

/** Quotas counted in this process. A limit of 0 is no limit. */
export class LocalQuota implements AllocationQuota {
  private readonly userLimit: number;
  private readonly totalLimit: number;
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(userLimit: number, totalLimit: number) {
    this.userLimit = userLimit;
    this.totalLimit = totalLimit;
  }

  /** Slots taken in all. */
  get taken(): number {
    return this.total;
  }

  acquire(quotaKey: string): QuotaRefusal | undefined {
    const held = this.byKey.get(quotaKey) ?? 0;
    if (this.userLimit > 0 && held >= this.userLimit) return 'user';
    if (this.totalLimit > 0 && this.total >= this.totalLimit) return 'total';
    this.byKey.set(quotaKey, held + 1);
    this.total++;
    return undefined;
  }

  release(quotaKey: string): void {
    const held = this.byKey.get(quotaKey);
    if (held === undefined) return;
    if (held <= 1) this.byKey.delete(quotaKey);
    else this.byKey.set(quotaKey, held - 1);
    this.total--;
  }
}
