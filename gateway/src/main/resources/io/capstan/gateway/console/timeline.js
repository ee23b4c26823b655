// The timeline of the event log: writes per second in buckets from the log's oldest write to
// now, markers for Deployment changes and Warning events, and a cursor (a range input) whose
// position is the instant the whole console shows; at its right end the console is live.

import { get, clock } from './api.js';
import { h } from './views.js';

const SVG = 'http://www.w3.org/2000/svg';
const STEPS = 1000;
const BUCKETS = 150;
const REFRESH_MS = 15_000;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export class Timeline {
  constructor(root) {
    this.chart = root.querySelector('#timeline-chart');
    this.markers = root.querySelector('#timeline-markers');
    this.cursor = root.querySelector('#cursor');
    this.label = root.querySelector('#cursor-time');
    this.status = root.querySelector('#timeline-status');
    this.range = root.querySelector('#timeline-range');
    this.data = null;
    this.timer = null;
    this.cursor.addEventListener('input', () => this.showLabel(this.instantAt(Number(this.cursor.value))));
    this.cursor.addEventListener('change', () => clock.set(this.instantAt(Number(this.cursor.value))));
    clock.listeners.add((at) => this.place(at));
  }

  start() {
    this.load();
    this.timer = setInterval(() => {
      if (clock.live()) this.load();
    }, REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
  }

  /** The instant at a cursor position; null (live) at the right end. */
  instantAt(step) {
    if (!this.data || step >= STEPS) return null;
    const from = Date.parse(this.data.from);
    const to = Date.parse(this.data.to);
    return new Date(from + ((to - from) * step) / STEPS);
  }

  showLabel(at) {
    const text = at === null ? 'now (live)' : at.toISOString();
    this.label.textContent = text;
    this.cursor.setAttribute('aria-valuetext', text);
  }

  /** Moves the cursor to the instant (without telling the clock: it told us). */
  place(at) {
    if (at === null || !this.data) {
      this.cursor.value = String(STEPS);
    } else {
      const from = Date.parse(this.data.from);
      const to = Date.parse(this.data.to);
      const step = Math.round(((at.getTime() - from) / (to - from)) * STEPS);
      this.cursor.value = String(Math.max(0, Math.min(STEPS - 1, step)));
    }
    this.showLabel(at);
  }

  async load() {
    this.status.textContent = this.data ? '' : 'reading the event log…';
    this.status.classList.add('busy');
    try {
      // The window stays put while the console shows the past, so the cursor keeps its meaning.
      const to = clock.live() || !this.data ? '' : `&to=${encodeURIComponent(this.data.to)}`;
      this.data = await get(`/apis/console.capstan.io/v1/timeline?buckets=${BUCKETS}${to}`, { asOf: false });
      this.status.textContent = '';
      this.render();
      this.place(clock.asOf);
    } catch (e) {
      this.status.textContent = `timeline unavailable: ${e.message}`;
    } finally {
      this.status.classList.remove('busy');
    }
  }

  render() {
    const { writes, bucketSeconds, markers } = this.data;
    const perSecond = writes.map((w) => w / Math.max(bucketSeconds, 1e-9));
    const peak = Math.max(1, ...perSecond);
    this.chart.replaceChildren();
    this.chart.setAttribute('viewBox', `0 0 ${writes.length} 100`);
    this.chart.setAttribute('preserveAspectRatio', 'none');
    this.chart.setAttribute('aria-label', `Writes per second, ${writes.length} buckets of ${
      bucketSeconds.toFixed(1)} s; peak ${peak.toFixed(1)}/s`);
    perSecond.forEach((v, i) => {
      const height = (v / peak) * 96;
      if (height > 0) this.chart.append(svg('rect', { x: i + 0.1, y: 100 - height, width: 0.8, height, class: 'bar' }));
    });
    this.range.textContent = `${new Date(this.data.from).toISOString()} → ${new Date(this.data.to).toISOString()}`
      + ` · peak ${peak.toFixed(1)} writes/s`;
    const from = Date.parse(this.data.from);
    const span = Date.parse(this.data.to) - from;
    this.markers.replaceChildren(...markers.map((m) => {
      const what = m.type === 'Warning' ? `Warning ${m.reason || ''} on ${m.kind || ''} ${m.namespace || ''}/${m.name}: `
        + `${m.message || ''}` : `Deployment ${m.namespace}/${m.name} ${m.operation.toLowerCase()} by ${m.actor}`;
      const b = h('button', { type: 'button', class: `marker ${m.type === 'Warning' ? 'warning' : 'deployment'}`,
        title: `${what} at ${m.time}`, 'aria-label': `${what} at ${m.time}; show the cluster then` });
      b.style.left = `${((Date.parse(m.time) - from) / span) * 100}%`;
      // the log's times have microseconds, a Date milliseconds: the next millisecond shows the change made
      b.addEventListener('click', () => clock.set(new Date(Math.floor(Date.parse(m.time)) + 1)));
      return b;
    }));
  }
}
