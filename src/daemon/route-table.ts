import type { RouteGroup } from "../router/types.js";

/** A workload's side of the table: it offers its routing table on every change. */
export type RouteWriter = (groups: RouteGroup[]) => void;

/**
 * The one writer of the router's public table. Each workload (the fleet,
 * Swarm) offers its table through its own `writer`; only the table of the
 * workload the daemon `follow`s (the current release's) reaches the router.
 * A restarted daemon holds the table the router kept until the instances it
 * adopted have a verdict (`release`); meanwhile only an edited copy of that
 * table (`sendHeld`: instances being stopped taken out) may go.
 *
 * @example
 * const table = new RouteTable((groups) => router.setGroups("public", groups));
 * const fleetWriter = table.writer("fleet");
 * table.follow("fleet");
 * table.release(); // sends the fleet's last table
 */
export class RouteTable {
  private followed: string | null = null;
  private readonly offers = new Map<string, RouteGroup[]>();
  private held = true;

  constructor(private readonly send: (groups: RouteGroup[]) => void) {}

  /** The function a workload offers its table with (every call replaces its previous offer). */
  writer(source: string): RouteWriter {
    return (groups) => {
      this.offers.set(source, groups);
      if (source === this.followed && !this.held) this.send(groups);
    };
  }

  /** From now on the router serves `source`'s table (sent at once unless held). */
  follow(source: string): void {
    if (this.followed === source) return;
    this.followed = source;
    const groups = this.offers.get(source);
    if (groups && !this.held) this.send(groups);
  }

  /**
   * Ends the hold: the followed workload's table goes to the router. One
   * that has offered nothing yet (Swarm before its first look at the tasks)
   * leaves the router's table as it is until its first offer.
   */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const groups = this.followed === null ? undefined : this.offers.get(this.followed);
    if (groups) this.send(groups);
  }

  get holding(): boolean {
    return this.held;
  }

  /** While held: a table derived from the one the router kept (nothing is sent once released). */
  sendHeld(groups: RouteGroup[]): void {
    if (this.held) this.send(groups);
  }

  /** The followed workload's table (what the router serves once released). */
  current(): RouteGroup[] {
    return (this.followed && this.offers.get(this.followed)) || [];
  }
}
