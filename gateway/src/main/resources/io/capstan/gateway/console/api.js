// Calls of the Kubernetes API for the console: the token kept in sessionStorage (never in a URL),
// sent as "Authorization: Bearer" on every call; the point in time the console shows, added as
// asOf= to every get and list while the timeline's cursor is in the past.

const TOKEN_KEY = 'capstan.console.token';

export class Unauthorized extends Error {}

/** The HTTP error of a call, with the Kubernetes Status message when the answer is one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** The instant the console shows: null for now (live), else a Date. */
export const clock = {
  asOf: null,
  listeners: new Set(),
  set(at) {
    this.asOf = at;
    for (const l of this.listeners) l(at);
  },
  live() {
    return this.asOf === null;
  },
};

/** Every call in flight, for the progress bar. */
export const activity = {
  running: 0,
  listeners: new Set(),
  change(delta) {
    this.running += delta;
    for (const l of this.listeners) l(this.running);
  },
};

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const token = session.token();
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.message) message = body.message;
  } catch (e) {
    // not a Status: keep the HTTP status line
  }
  if (response.status === 401) return new Unauthorized(message);
  return new ApiError(response.status, message);
}

/** The path with asOf= the console's instant (when not live) added to its query. */
export function atClock(path, at = clock.asOf) {
  if (at === null || at === undefined) return path;
  return path + (path.includes('?') ? '&' : '?') + 'asOf=' + encodeURIComponent(at.toISOString());
}

/** GET of JSON; {asOf: false} reads the present whatever the clock says. */
export async function get(path, { signal, asOf = true, at } = {}) {
  const url = asOf ? atClock(path, at === undefined ? clock.asOf : at) : path;
  activity.change(1);
  try {
    const response = await fetch(url, { headers: headers(), signal, cache: 'no-store' });
    if (!response.ok) throw await failure(response);
    return await response.json();
  } finally {
    activity.change(-1);
  }
}

/** GET of text (the metrics page, the probes). */
export async function text(path, { signal } = {}) {
  activity.change(1);
  try {
    const response = await fetch(path, { headers: headers({ Accept: 'text/plain' }), signal, cache: 'no-store' });
    if (!response.ok) throw await failure(response);
    return await response.text();
  } finally {
    activity.change(-1);
  }
}

/**
 * Reads a streamed answer (a watch, a followed log) line by line as it arrives, until the
 * signal aborts it or the server ends it. Calls onLine with each complete line.
 */
export async function stream(path, onLine, { signal } = {}) {
  const response = await fetch(path, { headers: headers(), signal, cache: 'no-store' });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  }
  if (pending) onLine(pending);
}

/** The resources the console shows: where each is served and whether it is namespaced. */
export const RESOURCES = {
  nodes: { base: '/api/v1', kind: 'Node', namespaced: false },
  pods: { base: '/api/v1', kind: 'Pod', namespaced: true },
  events: { base: '/api/v1', kind: 'Event', namespaced: true },
  services: { base: '/api/v1', kind: 'Service', namespaced: true },
  configmaps: { base: '/api/v1', kind: 'ConfigMap', namespaced: true },
  namespaces: { base: '/api/v1', kind: 'Namespace', namespaced: false },
  deployments: { base: '/apis/apps/v1', kind: 'Deployment', namespaced: true },
  replicasets: { base: '/apis/apps/v1', kind: 'ReplicaSet', namespaced: true },
  statefulsets: { base: '/apis/apps/v1', kind: 'StatefulSet', namespaced: true },
  daemonsets: { base: '/apis/apps/v1', kind: 'DaemonSet', namespaced: true },
  jobs: { base: '/apis/batch/v1', kind: 'Job', namespaced: true },
  cronjobs: { base: '/apis/batch/v1', kind: 'CronJob', namespaced: true },
};

/** The resource (plural) of a kind, e.g. "deployments" for "Deployment"; undefined when the console has none. */
export function resourceOf(kind) {
  return Object.keys(RESOURCES).find((r) => RESOURCES[r].kind === kind);
}

/** The path of a resource's collection (every namespace) or of one object. */
export function pathOf(resource, namespace, name) {
  const r = RESOURCES[resource];
  if (!r) throw new Error(`the console does not know the resource ${resource}`);
  let p = r.base;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  return p;
}
