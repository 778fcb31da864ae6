// Turns phone numbers in a page's text into call buttons, a little at a time: text nodes are
// found with TreeWalkers (skipping inputs, textareas, contenteditable regions, script, style,
// code, pre and the page's own links and buttons), checked with the finder, and each number is
// wrapped in a span by splitting its text node in place (the page keeps its own Text nodes).
// Work runs in idle time, in batches of at most BATCH_BUDGET_MS (a long text node is searched
// and marked over several batches), and a MutationObserver queues
// whatever the page adds later. Text under a selection is left for later, so marking never
// breaks what the user is selecting.
import type { CountryCode } from "libphonenumber-js/max";
import { type FoundNumber, findNumbersFrom, mayContainNumber } from "./find.js";

export const MARK_CLASS = "dial3cx-number";
/** Main-thread time one batch may take before it yields. */
export const BATCH_BUDGET_MS = 5;

const SKIP_TAGS = new Set([
  "A",
  "BUTTON",
  "CODE",
  "PRE",
  "KBD",
  "SAMP",
  "SCRIPT",
  "STYLE",
  "NOSCRIPT",
  "TEMPLATE",
  "TEXTAREA",
  "INPUT",
  "SELECT",
  "OPTION",
  "SVG",
  "MATH",
  "IFRAME",
  "OBJECT",
  "HEAD",
  "TITLE",
]);

export interface MarkerOptions {
  region: CountryCode | undefined;
  /** Called with each batch's duration (the benchmark). */
  onBatch?: (ms: number, marked: number) => void;
  /** Called when the queue runs dry. */
  onIdle?: () => void;
}

/**
 * Starts an editable region? Read from the attribute, not `isContentEditable`, which needs
 * computed style and so forces a style recalculation after each of our own insertions.
 */
function editable(element: Element): boolean {
  const value = element.getAttribute("contenteditable");
  return value !== null && value.toLowerCase() !== "false";
}

/**
 * The text node being worked on, across batches when it is long: searched from `next` on, then
 * its numbers wrapped from the last one back (so the earlier offsets stay valid). `data` is
 * what the node should still hold; if the page changes it in between, the work is dropped (the
 * MutationObserver has queued the node again).
 */
interface Pending {
  text: Text;
  data: string;
  found: FoundNumber[];
  next: number | undefined;
}

type Idle = (callback: (deadline: { timeRemaining(): number }) => void) => unknown;

export class NumberMarker {
  /** The spans this marker made, and their numbers: clicks count only on these. */
  readonly numbers = new WeakMap<Element, FoundNumber>();
  private readonly roots: Node[] = [];
  private walker: TreeWalker | undefined;
  private pending: Pending | undefined;
  private readonly deferred = new Set<Text>();
  private observer: MutationObserver | undefined;
  private scheduled = false;
  private channel: MessageChannel | undefined;
  private stopped = false;
  private readonly idle: Idle;
  /**
   * The user's selection, read once after each `selectionchange` rather than per text node:
   * Chromium brings style and layout up to date to answer `getSelection()`, which after our
   * own insertions is a full layout of the page each time (most of the marking cost before).
   */
  private selection: Range | undefined;
  private selectionChanged = true;
  private readonly onSelectionChange = () => {
    this.selectionChanged = true;
  };

  constructor(
    private readonly doc: Document,
    private readonly options: MarkerOptions,
  ) {
    const win = doc.defaultView as (Window & { requestIdleCallback?: Idle }) | null;
    this.idle =
      win?.requestIdleCallback?.bind(win) ??
      ((callback) => setTimeout(() => callback({ timeRemaining: () => BATCH_BUDGET_MS }), 1));
  }

  start(): void {
    if (this.doc.designMode === "on") return;
    this.observer = new MutationObserver((records) => this.onMutations(records));
    this.observer.observe(this.doc.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
    });
    this.doc.addEventListener("selectionchange", this.onSelectionChange);
    if (this.doc.body) this.enqueue(this.doc.body);
  }

  /** Stops marking and turns the spans back into plain text. */
  stop(): void {
    this.stopped = true;
    this.observer?.disconnect();
    this.doc.removeEventListener("selectionchange", this.onSelectionChange);
    this.channel?.port1.close();
    this.roots.length = 0;
    this.walker = undefined;
    this.pending = undefined;
    for (const span of this.doc.querySelectorAll(`span.${MARK_CLASS}`)) {
      if (this.numbers.has(span)) span.replaceWith(...span.childNodes);
    }
  }

  private enqueue(node: Node): void {
    if (this.stopped) return;
    this.roots.push(node);
    this.schedule();
  }

  /**
   * Runs the next batch in idle time; right after the previous one (as its own task, so input
   * and rendering still come first) when that one ended with idle time to spare, as idle
   * callbacks alone come only every 50 ms or so and would stretch a long page over seconds.
   */
  private schedule(stillIdle = false): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    if (stillIdle) {
      this.channel ??= new MessageChannel();
      this.channel.port1.onmessage = () => {
        this.scheduled = false;
        this.batch(BATCH_BUDGET_MS, () => BATCH_BUDGET_MS);
      };
      this.channel.port2.postMessage(null);
      return;
    }
    this.idle((deadline) => {
      this.scheduled = false;
      this.batch(Math.min(BATCH_BUDGET_MS, Math.max(2, deadline.timeRemaining())), () =>
        deadline.timeRemaining(),
      );
    });
  }

  private onMutations(records: MutationRecord[]): void {
    for (const record of records) {
      if (record.type === "characterData") {
        if (record.target.nodeType === Node.TEXT_NODE) this.enqueue(record.target);
        continue;
      }
      for (const node of record.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE && this.numbers.has(node as Element)) continue;
        if (node.nodeType === Node.ELEMENT_NODE || node.nodeType === Node.TEXT_NODE) {
          this.enqueue(node);
        }
      }
    }
  }

  private batch(budgetMs: number, idleLeft: () => number): void {
    const started = performance.now();
    const end = started + budgetMs;
    const timeUp = () => performance.now() >= end;
    let marked = 0;
    // At least one step per batch, however short the budget: each step ends at the budget.
    do {
      if (!this.pending) {
        const text = this.nextText();
        if (!text) break;
        this.pending = { text, data: text.data, found: [], next: 0 };
      }
      marked += this.step(this.pending, timeUp);
    } while (!timeUp());
    // Our own splitting shows up as mutations: drop them, nothing of the page's can be among
    // them (no page script ran during this batch).
    this.observer?.takeRecords();
    this.options.onBatch?.(performance.now() - started, marked);
    if (this.pending || this.walker || this.roots.length > 0) {
      this.schedule(idleLeft() >= BATCH_BUDGET_MS);
    } else if (this.deferred.size > 0) this.retryDeferredLater();
    else this.options.onIdle?.();
  }

  private retryDeferredLater(): void {
    setTimeout(() => {
      for (const text of this.deferred) this.roots.push(text);
      this.deferred.clear();
      this.schedule();
    }, 1000);
  }

  /** The next text node worth looking at, walking the queued roots. */
  private nextText(): Text | undefined {
    for (;;) {
      if (this.walker) {
        const node = this.walker.nextNode();
        if (node) return node as Text;
        this.walker = undefined;
      }
      const root = this.roots.shift();
      if (!root) return undefined;
      if (!root.isConnected || this.skipped(root)) continue;
      if (root.nodeType === Node.TEXT_NODE) return root as Text;
      this.walker = this.doc.createTreeWalker(
        root,
        NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT,
        {
          acceptNode: (node) => {
            if (node.nodeType === Node.TEXT_NODE) {
              return mayContainNumber((node as Text).data)
                ? NodeFilter.FILTER_ACCEPT
                : NodeFilter.FILTER_SKIP;
            }
            const element = node as Element;
            if (SKIP_TAGS.has(element.tagName.toUpperCase()) || this.numbers.has(element)) {
              return NodeFilter.FILTER_REJECT;
            }
            if (editable(element)) return NodeFilter.FILTER_REJECT;
            return NodeFilter.FILTER_SKIP;
          },
        },
      );
    }
  }

  /** Is `node` inside something we leave alone? */
  private skipped(node: Node): boolean {
    const start = node.nodeType === Node.ELEMENT_NODE ? (node as Element) : node.parentElement;
    if (!start || this.doc.designMode === "on") return true;
    for (let element: Element | null = start; element; element = element.parentElement) {
      if (SKIP_TAGS.has(element.tagName.toUpperCase()) || this.numbers.has(element)) return true;
      if (editable(element)) return true;
    }
    return false;
  }

  private underSelection(text: Text): boolean {
    if (this.selectionChanged) {
      this.selectionChanged = false;
      const selection = this.doc.getSelection();
      this.selection =
        selection && selection.rangeCount > 0 && !selection.isCollapsed
          ? selection.getRangeAt(0)
          : undefined;
    }
    return this.selection?.intersectsNode(text) ?? false;
  }

  /** Searches, then marks, `pending` until it is done or the time is up; returns how many marked. */
  private step(pending: Pending, timeUp: () => boolean): number {
    const { text } = pending;
    if (!text.isConnected || text.data !== pending.data) {
      this.pending = undefined;
      return 0;
    }
    while (pending.next !== undefined) {
      const { found, next } = findNumbersFrom(
        pending.data,
        this.options.region,
        pending.next,
        timeUp,
      );
      pending.found.push(...found);
      pending.next = next;
      if (next !== undefined) return 0;
    }
    if (pending.found.length > 0 && this.underSelection(text)) {
      this.deferred.add(text);
      pending.found.length = 0;
    }
    let marked = 0;
    // From the end, so the earlier offsets stay valid; `text` keeps the leading part.
    for (let number = pending.found.pop(); number; number = pending.found.pop()) {
      const part = text.splitText(number.start);
      part.splitText(number.end - number.start);
      const span = this.doc.createElement("span");
      span.className = MARK_CLASS;
      span.setAttribute("role", "link");
      span.setAttribute("tabindex", "0");
      span.setAttribute("aria-label", `Call ${number.international}`);
      span.title = `Call ${number.international} with 3CX`;
      this.numbers.set(span, number);
      part.replaceWith(span);
      span.append(part);
      marked += 1;
      if (pending.found.length > 0 && timeUp()) break;
    }
    pending.data = text.data;
    if (pending.found.length === 0) this.pending = undefined;
    return marked;
  }
}
