// The console's shell: sign-in, the views by URL fragment (#/overview, #/workloads, #/pods,
// #/object/RESOURCE/NAMESPACE/NAME, #/compare), the timeline's instant, the progress bar, and the
// watches that keep a live view current.

import { session, clock, activity, get, stream, Unauthorized } from './api.js';
import { overview, workloads, pods, object, compare, h } from './views.js';
import { Timeline } from './timeline.js';

const VIEWS = { overview, workloads, pods, object, compare };
const $ = (id) => document.getElementById(id);

let timeline = null;
let renderController = null;
let renderTimer = null;
let compareFrom = null;
/** Open watches by path: {controller, onEvent}; kept across re-renders that ask for them again. */
const watches = new Map();
/**
 * A browser opens at most 6 HTTP/1.1 connections to a server, and each watch (and a followed log)
 * holds one: past 3 watches, a view is read again every POLL_MS instead, so its reads still get through.
 */
const MAX_WATCHES = 3;
const POLL_MS = 5000;
let renderedRoute = null;

function showLogin(message = '') {
  $('app').hidden = true;
  $('login-screen').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}

async function signIn(token) {
  session.signIn(token);
  try {
    // Any authenticated call says whether the token is good: the API's root list is cheap.
    await get('/api', { asOf: false });
  } catch (e) {
    session.signOut();
    showLogin(e instanceof Unauthorized ? 'The token was not accepted (401).' : `Cannot reach the API: ${e.message}`);
    return;
  }
  $('login-screen').hidden = true;
  $('app').hidden = false;
  if (!timeline) timeline = new Timeline($('timeline'));
  timeline.start();
  if (!location.hash || location.hash === '#') location.hash = '#/overview';
  else render();
}

function signOut() {
  session.signOut();
  timeline?.stop();
  closeWatches(new Set());
  renderController?.abort();
  $('main').replaceChildren();
  showLogin('Signed out.');
}

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = VIEWS[parts[0]] ? parts[0] : 'overview';
  return { name, params: parts.slice(1) };
}

function closeWatches(keep) {
  for (const [path, w] of watches) {
    if (!keep.has(path)) {
      w.controller.abort();
      watches.delete(path);
    }
  }
}

function scheduleRender(delay = 600) {
  clearTimeout(renderTimer);
  renderTimer = setTimeout(render, delay);
}

/** Opens a watch of the path from the resourceVersion (unless one is open); its events re-render the view. */
function watchFor(wanted, polls) {
  return (path, resourceVersion, onEvent = () => scheduleRender()) => {
    if (!clock.live()) return;
    const open = watches.get(path);
    if (open) {
      wanted.add(path);
      open.onEvent = onEvent;
      return;
    }
    if (watches.size >= MAX_WATCHES) {
      polls.needed = true;
      return;
    }
    wanted.add(path);
    const w = { controller: new AbortController(), onEvent };
    watches.set(path, w);
    const url = `${path}${path.includes('?') ? '&' : '?'}watch=1${resourceVersion ? `&resourceVersion=${
      encodeURIComponent(resourceVersion)}` : ''}`;
    stream(url, (line) => {
      if (!line.trim()) return;
      let event;
      try {
        event = JSON.parse(line);
      } catch (e) {
        return;
      }
      if (event.type !== 'BOOKMARK') w.onEvent(event);
    }, { signal: w.controller.signal }).catch(() => {}).finally(() => {
      if (watches.get(path) === w && !w.controller.signal.aborted) {
        watches.delete(path); // the server ended it (its timeout, or 410): read again, which watches again
        scheduleRender(2000);
      }
    });
  };
}

async function render() {
  clearTimeout(renderTimer);
  if (!session.token()) return;
  renderController?.abort();
  const controller = new AbortController();
  renderController = controller;
  const { name, params } = route();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = h('div', { class: 'view', 'data-view': name, 'data-as-of': clock.asOf ? clock.asOf.toISOString()
    : 'live' });
  const wanted = new Set();
  const polls = { needed: false };
  const routeKey = `${name}/${params.join('/')}`;
  if (routeKey !== renderedRoute) {
    closeWatches(new Set()); // another view: the last one's watches would hold connections it needs
    renderedRoute = routeKey;
  }
  const ctx = { main, params, signal: controller.signal, live: clock.live(), watch: watchFor(wanted, polls),
    compareFrom };
  const target = $('main');
  if (!target.firstChild || target.firstChild.dataset.view !== name) {
    target.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  }
  target.setAttribute('aria-busy', 'true');
  try {
    await VIEWS[name](ctx);
    if (controller.signal.aborted) return;
    if (!clock.live()) {
      main.prepend(h('p', { class: 'as-of-banner', role: 'status' }, `The cluster as it was at ${
        clock.asOf.toISOString()}, read from the event log.`));
    }
    target.replaceChildren(main);
    closeWatches(wanted);
    if (polls.needed && clock.live() && name !== 'compare') scheduleRender(POLL_MS);
  } catch (e) {
    if (e.name === 'AbortError' || controller.signal.aborted) return;
    if (e instanceof Unauthorized) {
      signOut();
      showLogin('The session was refused (401): sign in again.');
      return;
    }
    target.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
  } finally {
    if (renderController === controller) target.removeAttribute('aria-busy');
  }
}

function showMode(at) {
  const mode = $('mode');
  mode.textContent = at === null ? 'Live' : `As of ${at.toISOString()}`;
  mode.className = `mode ${at === null ? 'live' : 'past'}`;
  document.body.classList.toggle('past', at !== null);
}

document.addEventListener('DOMContentLoaded', () => {
  activity.listeners.add((n) => {
    $('progress').hidden = n === 0;
  });
  clock.listeners.add((at) => {
    showMode(at);
    closeWatches(new Set()); // a view of the past has nothing to watch; a live one opens them again
    render();
  });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('token').value.trim());
  });
  $('sign-out').addEventListener('click', signOut);
  $('go-live').addEventListener('click', () => clock.set(null));
  $('compare-here').addEventListener('click', () => {
    compareFrom = clock.asOf || new Date();
    if (location.hash === '#/compare') render();
    else location.hash = '#/compare';
  });
  $('asof-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('asof').value.trim();
    if (value === '' || value === 'now') {
      clock.set(null);
      return;
    }
    const t = Date.parse(value);
    if (Number.isNaN(t)) {
      $('timeline-status').textContent = `"${value}" is not a time such as 2026-12-06T11:00:00Z`;
      return;
    }
    clock.set(t > Date.now() ? null : new Date(t));
  });
  window.addEventListener('hashchange', render);
  const token = session.token();
  if (token) signIn(token);
  else showLogin();
});
