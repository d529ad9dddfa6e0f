/**
 * Azure's rolling request window of one deployment on one backend, as this process sees it: RPM is enforced
 * over a rolling 10 s, and a slot comes back one window after the request that took it was admitted
 * (aoai-data-plane.md §1.3). The x-ratelimit-remaining-requests header says how many requests the window had
 * left when Azure admitted (or refused) the request it answers, that is about when the request was sent.
 * What was sent since counts against that reading, and each request admitted before it gives its slot back,
 * oldest first. Requests this process never heard of make the answer later, not sooner.
 */

/**
 * A slot is counted back this share of a window late: the request that took it and the one that will take
 * it next both reach Azure a little after they were sent, but not always equally late.
 */
export const requestSlotMargin = 0.01;
/** Send times remembered per deployment: more than any request budget this logic matters for. */
const maxRemembered = 4096;

export class RequestWindow {
  /** The latest reading: requests left when the request sent at `at` was admitted or refused. */
  private reading: { remaining: number; at: number } | undefined;
  /** When requests were sent that count against the window (not refused, not failed), ascending. */
  private readonly sent: number[] = [];
  /** When requests the window admitted were sent (here, or by another replica that stored a reading), ascending. */
  private readonly admitted: number[] = [];
  private readonly slotBackMs: number;

  constructor(readonly windowMs: number) {
    this.slotBackMs = windowMs * (1 + requestSlotMargin);
  }

  /** A request is sent now. */
  send(at: number): void {
    insertSorted(this.sent, at);
    this.prune(this.sent, at);
  }

  /** The request sent at `sentAt` was admitted: an answer other than 429 with a remaining-requests reading. */
  admit(sentAt: number): void {
    insertSorted(this.admitted, sentAt);
    this.prune(this.admitted, sentAt);
  }

  /** The request sent at `sentAt` did not take a slot (429), or nothing says it did (no answer, no reading). */
  forget(sentAt: number): void {
    const index = this.sent.lastIndexOf(sentAt);
    if (index !== -1) this.sent.splice(index, 1);
  }

  /** A reading from the answer to a request sent at `at`; an older one than the latest changes nothing (of two as old, the lower counts). */
  read(remaining: number, at: number): void {
    const latest = this.reading;
    if (latest === undefined || at > latest.at || (at === latest.at && remaining < latest.remaining)) this.reading = { remaining, at };
  }

  /** Another replica's reading (its request was admitted when it was sent, at `at`). */
  readElsewhere(remaining: number, at: number): void {
    if (this.reading !== undefined && at <= this.reading.at) return;
    this.read(remaining, at);
    this.admit(at);
  }

  /** The latest reading's count, for /status. */
  get remaining(): number | undefined {
    return this.reading?.remaining;
  }

  /**
   * When the window has room for one more request (0 when it has now, or when nothing current is known).
   * Of what other replicas have in flight, only what they sent after the reading counts (the reading counted
   * the rest); requests whose send time they did not list count as sent after it.
   */
  freeAt(now: number, elsewhere: { requests: number; sentAt?: readonly number[] }): number {
    const reading = this.reading;
    if (reading === undefined || now - reading.at >= this.slotBackMs) return 0;
    let sentSince = 0;
    for (let i = this.sent.length - 1; i >= 0 && this.sent[i]! > reading.at; i--) sentSince++;
    const listed = elsewhere.sentAt ?? [];
    sentSince += Math.max(0, elsewhere.requests - listed.length);
    for (const sentAt of listed) if (sentAt > reading.at) sentSince++;
    const missing = sentSince - reading.remaining;
    if (missing < 0) return 0;
    // The reading's window held the requests admitted in (reading.at - window, reading.at]; the slot that comes
    // back `missing + 1`-th is the one the request needs.
    const slot = this.admitted[firstAfter(this.admitted, reading.at - this.windowMs) + missing];
    return slot !== undefined && slot <= reading.at ? slot + this.slotBackMs : reading.at + this.slotBackMs;
  }

  private prune(list: number[], now: number): void {
    while (list.length > 0 && (list[0]! <= now - 2 * this.slotBackMs || list.length > maxRemembered)) list.shift();
  }
}

function insertSorted(list: number[], value: number): void {
  list.splice(firstAfter(list, value), 0, value);
}

/** The index of the first entry of the ascending `list` above `value` (its length when there is none). */
function firstAfter(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]! > value) high = middle;
    else low = middle + 1;
  }
  return low;
}
