// The console's views. Each is an async function of a context: {main, params, signal, live, at,
// watch(path, resourceVersion, onEvent?)}; it reads what it shows through api.js (at the
// console's instant) and builds the DOM. In live mode it asks for watches, whose events re-render
// it (or call its own handler).

import { get, text, stream, pathOf, resourceOf, RESOURCES, clock } from './api.js';
import { toYaml } from './yaml.js';
import { diff } from './diff.js';

/** An element with attributes (on* are listeners) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A table with a caption and column headers; rows are arrays of cells (or {cells, attrs}). */
function table(caption, headers, rows, empty = 'None.') {
  if (rows.length === 0) {
    return h('section', { class: 'card' }, h('h2', {}, caption), h('p', { class: 'empty' }, empty));
  }
  return h('section', { class: 'card' }, h('h2', {}, caption),
    h('table', {},
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => Array.isArray(r) ? h('tr', {}, r.map((c) => h('td', {}, c)))
        : h('tr', r.attrs, r.cells.map((c) => h('td', {}, c)))))));
}

function objectLink(resource, namespace, name, label = name) {
  return h('a', { href: `#/object/${resource}/${namespace || '-'}/${encodeURIComponent(name)}` }, label);
}

/** "3m", "2h" or "5d" since the time, as kubectl's AGE column, counted to the console's instant. */
function age(timestamp) {
  if (!timestamp) return '';
  const now = clock.asOf ? clock.asOf.getTime() : Date.now();
  let s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  s = Math.floor(s / 60);
  if (s < 120) return `${s}m`;
  s = Math.floor(s / 60);
  if (s < 48) return `${s}h`;
  return `${Math.floor(s / 24)}d`;
}

function condition(obj, type) {
  return (obj.status?.conditions || []).find((c) => c.type === type);
}

function badge(text, tone) {
  return h('span', { class: `badge ${tone || ''}` }, text);
}

function errorBox(e) {
  return h('p', { class: 'error', role: 'alert' }, e.message || String(e));
}

/** Loads a list, or answers an empty one with the error shown (a view shows what it can). */
async function listOrError(ctx, resource, errors) {
  try {
    const list = await get(pathOf(resource), { signal: ctx.signal });
    ctx.watch(pathOf(resource), list.metadata?.resourceVersion);
    return list.items || [];
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    errors.push(h('p', { class: 'error', role: 'alert' }, `${resource}: ${e.message}`));
    return [];
  }
}

// ---- overview ----

function nodeRow(n) {
  const ready = condition(n, 'Ready');
  const pressures = (n.status?.conditions || []).filter((c) => c.type !== 'Ready' && c.status === 'True')
    .map((c) => badge(c.type, 'warn'));
  const cap = n.status?.capacity || {};
  return [objectLink('nodes', null, n.metadata.name),
    ready ? badge(ready.status === 'True' ? 'Ready' : 'NotReady', ready.status === 'True' ? 'ok' : 'bad')
      : badge('Unknown', 'warn'),
    pressures.length ? pressures : '—', cap.cpu || '', cap.memory || '', cap.pods || '',
    n.status?.nodeInfo?.kubeletVersion || '', age(n.metadata.creationTimestamp)];
}

function eventRows(events, limit) {
  const time = (e) => e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata.creationTimestamp;
  return events.slice().sort((a, b) => Date.parse(time(b)) - Date.parse(time(a))).slice(0, limit).map((e) => ({
    attrs: { class: e.type === 'Warning' ? 'warning' : '' },
    cells: [age(time(e)), e.type === 'Warning' ? badge('Warning', 'bad') : badge(e.type || 'Normal', ''),
      e.reason || '', `${e.involvedObject?.kind || ''}/${e.involvedObject?.name || ''}`, e.message || '',
      e.count > 1 ? `×${e.count}` : ''],
  }));
}

/** A few series of the gateway's own /metrics: the Prometheus text format, summed over labels. */
const SERIES = [
  ['capstan_apiserver_request_total', 'API requests served'],
  ['capstan_apiserver_registered_watchers', 'watches open'],
  ['capstan_gateway_connections_total', 'connections accepted'],
  ['process_cpu_usage', 'process CPU (share of the machine)'],
  ['jvm_memory_used_bytes', 'JVM memory used (bytes)'],
  ['jvm_threads_live_threads', 'JVM threads'],
];

function seriesValues(metrics) {
  const sums = new Map();
  for (const line of metrics.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    sums.set(m[1], (sums.get(m[1]) || 0) + v);
  }
  return SERIES.filter(([name]) => sums.has(name)).map(([name, label]) => {
    const v = sums.get(name);
    return [label, h('code', {}, name), name === 'process_cpu_usage' ? `${(v * 100).toFixed(1)}%`
      : Math.round(v).toLocaleString('en')];
  });
}

async function health(ctx) {
  const probe = async (path) => {
    try {
      const body = await text(path, { signal: ctx.signal });
      return [h('code', {}, path), badge(body.trim() || 'ok', 'ok')];
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      return [h('code', {}, path), badge(e.message, 'bad')];
    }
  };
  const probes = await Promise.all(['/livez', '/readyz'].map(probe));
  let series = [];
  try {
    series = seriesValues(await text('/metrics', { signal: ctx.signal }));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    series = [['metrics', '', e.message]];
  }
  return [table('Component health', ['probe', 'answer'], probes),
    table('Key series (this gateway, now)', ['series', 'name', 'value'], series)];
}

export async function overview(ctx) {
  const errors = [];
  const [nodes, pods, events, components] = await Promise.all([
    listOrError(ctx, 'nodes', errors), listOrError(ctx, 'pods', errors), listOrError(ctx, 'events', errors),
    ctx.live ? health(ctx) : Promise.resolve([h('section', { class: 'card' }, h('h2', {}, 'Component health'),
      h('p', { class: 'empty' }, 'Probes and metrics are of the present; go live to see them.'))])]);
  const phases = {};
  for (const p of pods) phases[p.status?.phase || 'Pending'] = (phases[p.status?.phase || 'Pending'] || 0) + 1;
  const phaseOrder = ['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'];
  ctx.main.append(h('h1', {}, 'Cluster overview'), ...errors,
    h('div', { class: 'tiles' },
      h('section', { class: 'tile', 'aria-label': 'Nodes' }, h('span', { class: 'big' }, nodes.length), ' nodes'),
      ...phaseOrder.filter((p) => phases[p]).map((p) => h('section', { class: `tile phase-${p}`, 'aria-label':
        `${p} pods` }, h('span', { class: 'big' }, phases[p]), ` ${p}`)),
      h('section', { class: 'tile', 'aria-label': 'Pods' }, h('span', { class: 'big' }, pods.length), ' pods')),
    table('Nodes', ['name', 'status', 'conditions', 'cpu', 'memory', 'pods', 'kubelet', 'age'], nodes.map(nodeRow)),
    table('Recent events', ['age', 'type', 'reason', 'object', 'message', 'count'], eventRows(events, 20)),
    ...components);
}

// ---- workloads ----

function progress(done, of, label) {
  const max = Math.max(of || 0, 1);
  return h('span', { class: 'progress-cell' },
    h('progress', { value: Math.min(done || 0, max), max, 'aria-label': label }), ` ${done || 0}/${of || 0}`);
}

const WORKLOADS = [
  ['deployments', 'Deployments', ['ready', 'up-to-date', 'available', 'rollout', 'age'], (d) => {
    const want = d.spec?.replicas ?? 1;
    const s = d.status || {};
    const p = condition(d, 'Progressing');
    const done = (s.updatedReplicas || 0) >= want && (s.availableReplicas || 0) >= want
      && (s.replicas || 0) === want;
    return [`${s.readyReplicas || 0}/${want}`, s.updatedReplicas || 0, s.availableReplicas || 0,
      h('span', {}, progress(s.updatedReplicas, want, `rollout of ${d.metadata.name}`), ' ',
        done ? badge('complete', 'ok') : badge(p?.reason || 'progressing', p?.status === 'False' ? 'bad' : 'warn')),
      age(d.metadata.creationTimestamp)];
  }],
  ['replicasets', 'ReplicaSets', ['desired', 'current', 'ready', 'owner', 'age'], (r) => {
    const owner = (r.metadata.ownerReferences || [])[0];
    return [r.spec?.replicas ?? 1, r.status?.replicas || 0, r.status?.readyReplicas || 0,
      owner ? (resourceOf(owner.kind) ? objectLink(resourceOf(owner.kind), r.metadata.namespace, owner.name,
        `${owner.kind}/${owner.name}`) : `${owner.kind}/${owner.name}`) : '—', age(r.metadata.creationTimestamp)];
  }],
  ['statefulsets', 'StatefulSets', ['ready', 'rollout', 'age'], (s) => {
    const want = s.spec?.replicas ?? 1;
    return [`${s.status?.readyReplicas || 0}/${want}`, progress(s.status?.updatedReplicas, want,
      `rollout of ${s.metadata.name}`), age(s.metadata.creationTimestamp)];
  }],
  ['daemonsets', 'DaemonSets', ['desired', 'current', 'ready', 'rollout', 'age'], (d) => {
    const s = d.status || {};
    return [s.desiredNumberScheduled || 0, s.currentNumberScheduled || 0, s.numberReady || 0,
      progress(s.updatedNumberScheduled, s.desiredNumberScheduled, `rollout of ${d.metadata.name}`),
      age(d.metadata.creationTimestamp)];
  }],
  ['jobs', 'Jobs', ['completions', 'active', 'failed', 'status', 'age'], (j) => {
    const complete = condition(j, 'Complete')?.status === 'True';
    const failed = condition(j, 'Failed')?.status === 'True';
    return [progress(j.status?.succeeded, j.spec?.completions ?? 1, `completions of ${j.metadata.name}`),
      j.status?.active || 0, j.status?.failed || 0,
      complete ? badge('Complete', 'ok') : failed ? badge('Failed', 'bad') : badge('Running', 'warn'),
      age(j.metadata.creationTimestamp)];
  }],
  ['cronjobs', 'CronJobs', ['schedule', 'suspended', 'active', 'last schedule', 'age'], (c) => [
    h('code', {}, c.spec?.schedule || ''), c.spec?.suspend ? 'yes' : 'no', (c.status?.active || []).length,
    c.status?.lastScheduleTime ? age(c.status.lastScheduleTime) : '—', age(c.metadata.creationTimestamp)]],
];

export async function workloads(ctx) {
  const errors = [];
  const lists = await Promise.all(WORKLOADS.map(([resource]) => listOrError(ctx, resource, errors)));
  ctx.main.append(h('h1', {}, 'Workloads'), ...errors,
    ...WORKLOADS.map(([resource, title, columns, cells], i) => table(title, ['namespace', 'name', ...columns],
      lists[i].map((o) => ({
        attrs: { 'data-object': `${resource}/${o.metadata.namespace}/${o.metadata.name}` },
        cells: [o.metadata.namespace, objectLink(resource, o.metadata.namespace, o.metadata.name), ...cells(o)],
      })), `No ${title}.`)));
}

// ---- pods ----

function restarts(p) {
  return (p.status?.containerStatuses || []).reduce((n, c) => n + (c.restartCount || 0), 0);
}

function podRows(pods) {
  return pods.map((p) => ({
    attrs: { 'data-object': `pods/${p.metadata.namespace}/${p.metadata.name}` },
    cells: [p.metadata.namespace, objectLink('pods', p.metadata.namespace, p.metadata.name),
      badge(p.status?.phase || 'Pending', { Running: 'ok', Succeeded: 'ok', Failed: 'bad' }[p.status?.phase] || 'warn'),
      p.spec?.nodeName || '—', restarts(p), age(p.metadata.creationTimestamp)],
  }));
}

export async function pods(ctx) {
  const errors = [];
  const items = await listOrError(ctx, 'pods', errors);
  ctx.main.append(h('h1', {}, 'Pods'), ...errors,
    table('Pods', ['namespace', 'name', 'phase', 'node', 'restarts', 'age'], podRows(items), 'No pods.'));
}

// ---- one object: summary, its pods, events, YAML, history ----

function matches(selector, labels) {
  if (!selector) return false;
  const l = labels || {};
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function yamlSection(obj) {
  return h('section', { class: 'card' }, h('h2', {}, 'YAML'), h('pre', { class: 'yaml', tabindex: '0' }, toYaml(obj)));
}

function value(v) {
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

function diffList(changes) {
  if (!changes.length) return h('span', { class: 'empty' }, 'no field changed');
  return h('ul', { class: 'diff' }, changes.map((d) => h('li', { class: `diff-${d.op}` },
    h('code', {}, d.path), ' ', d.op === 'add' ? ['added ', h('ins', {}, value(d.to))]
      : d.op === 'remove' ? ['removed ', h('del', {}, value(d.from))]
        : [h('del', {}, value(d.from)), ' → ', h('ins', {}, value(d.to))])));
}

/** The object's versions from ?history=true, each with its field diff; those after the console's instant dimmed. */
async function historySection(ctx, path) {
  const section = h('section', { class: 'card', id: 'history' }, h('h2', {}, 'History'));
  try {
    const history = await get(`${path}?history=true`, { signal: ctx.signal, asOf: false });
    const rows = history.items.map((v) => ({
      attrs: { class: clock.asOf && Date.parse(v.time) > clock.asOf.getTime() ? 'future' : '' },
      cells: [v.resourceVersion, new Date(v.time).toISOString(), v.actor, badge(v.operation,
        v.operation === 'DELETED' ? 'bad' : v.operation === 'CREATED' ? 'ok' : ''), diffList(v.diff || [])],
    }));
    section.append(h('table', {}, h('thead', {}, h('tr', {}, ['version', 'time', 'actor', 'operation', 'changes']
      .map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows.map((r) => h('tr', r.attrs,
      r.cells.map((c) => h('td', {}, c)))))));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    section.append(errorBox(e));
  }
  return section;
}

async function eventsOf(ctx, obj) {
  const ns = obj.metadata.namespace;
  const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events';
  try {
    const list = await get(path, { signal: ctx.signal });
    const mine = (list.items || []).filter((e) => e.involvedObject?.name === obj.metadata.name
      && e.involvedObject?.kind === obj.kind);
    return table('Events', ['age', 'type', 'reason', 'object', 'message', 'count'], eventRows(mine, 50),
      'No events.');
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return h('section', { class: 'card' }, h('h2', {}, 'Events'), errorBox(e));
  }
}

function summary(obj) {
  const m = obj.metadata;
  const rows = [['kind', obj.kind], ['namespace', m.namespace || '—'], ['uid', m.uid], ['resourceVersion',
    m.resourceVersion], ['created', m.creationTimestamp]];
  if (m.deletionTimestamp) rows.push(['deleting since', m.deletionTimestamp]);
  const labels = Object.entries(m.labels || {}).map(([k, v]) => h('code', { class: 'label' }, `${k}=${v}`));
  rows.push(['labels', labels.length ? labels : '—']);
  if (obj.kind === 'Pod') {
    rows.push(['phase', obj.status?.phase || 'Pending'], ['node', obj.spec?.nodeName || '—'],
      ['pod IP', obj.status?.podIP || '—']);
  }
  return h('section', { class: 'card' }, h('h2', {}, 'Summary'),
    h('dl', { class: 'summary' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

function containersTable(pod) {
  const statuses = new Map((pod.status?.containerStatuses || []).map((c) => [c.name, c]));
  return table('Containers', ['name', 'image', 'state', 'ready', 'restarts'], (pod.spec?.containers || []).map((c) => {
    const s = statuses.get(c.name);
    const state = s?.state ? Object.keys(s.state)[0] : 'waiting';
    const reason = s?.state?.[state]?.reason;
    return [c.name, h('code', {}, c.image), badge(reason ? `${state}: ${reason}` : state,
      state === 'running' ? 'ok' : state === 'terminated' && s.state.terminated.exitCode !== 0 ? 'bad' : 'warn'),
      s?.ready ? 'yes' : 'no', s?.restartCount || 0];
  }));
}

/** The pod's log, followed as a stream while live (fetch's body read as it comes). */
function logSection(ctx, pod) {
  const names = (pod.spec?.containers || []).map((c) => c.name);
  const out = h('pre', { id: 'pod-log', class: 'log', tabindex: '0', 'aria-label': 'Container log' });
  const status = h('span', { id: 'log-status', role: 'status' });
  const select = h('select', { id: 'log-container' }, names.map((n) => h('option', { value: n }, n)));
  let controller = null;
  const follow = h('button', { type: 'button', id: 'log-follow' }, 'Stop following');
  const start = (followIt) => {
    if (controller) controller.abort();
    controller = new AbortController();
    ctx.signal.addEventListener('abort', () => controller.abort());
    out.textContent = '';
    const base = `${pathOf('pods', pod.metadata.namespace, pod.metadata.name)}/log?container=${
      encodeURIComponent(select.value)}&tailLines=500`;
    status.textContent = followIt ? 'following…' : 'loading…';
    follow.textContent = followIt ? 'Stop following' : 'Follow';
    const mine = controller;
    stream(followIt ? `${base}&follow=true` : base, (line) => {
      out.append(line + '\n');
      out.scrollTop = out.scrollHeight;
    }, { signal: controller.signal }).then(() => {
      if (mine === controller) status.textContent = followIt ? 'the log ended' : 'the log as it is now';
    }).catch((e) => {
      if (e.name !== 'AbortError') status.textContent = `cannot read the log: ${e.message}`;
    });
    follow.onclick = () => {
      if (followIt) {
        controller.abort();
        status.textContent = 'stopped';
        follow.textContent = 'Follow';
        follow.onclick = () => start(true);
      } else {
        start(true);
      }
    };
  };
  select.addEventListener('change', () => start(ctx.live));
  const section = h('section', { class: 'card' }, h('h2', {}, 'Logs'),
    h('div', { class: 'toolbar' }, h('label', { for: 'log-container' }, 'Container'), select, follow, status),
    ctx.live ? null : h('p', { class: 'note' }, 'Logs are kept by the node, not in the event log: this is the log now.'),
    out);
  if (names.length) queueMicrotask(() => start(ctx.live));
  return section;
}

async function podsOf(ctx, obj) {
  const selector = obj.spec?.selector;
  const ns = obj.metadata.namespace;
  const list = await get(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { signal: ctx.signal });
  ctx.watch(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, list.metadata?.resourceVersion);
  return table('Pods', ['namespace', 'name', 'phase', 'node', 'restarts', 'age'],
    podRows((list.items || []).filter((p) => matches(selector, p.metadata.labels))), 'No pods.');
}

export async function object(ctx) {
  const [resource, nsParam, name] = ctx.params;
  const ns = nsParam === '-' ? null : nsParam;
  const path = pathOf(resource, ns, name);
  const title = h('h1', {}, `${RESOURCES[resource]?.kind || resource} ${ns ? `${ns}/` : ''}${name}`);
  let obj;
  try {
    obj = await get(path, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    ctx.main.append(title, h('p', { class: 'error', role: 'alert', id: 'not-found' },
      e.status === 404 ? (ctx.live ? `It does not exist now: ${e.message}` : `It did not exist then: ${e.message}`)
        : e.message), await historySection(ctx, path));
    return;
  }
  const parts = [title, summary(obj)];
  if (obj.kind === 'Pod') {
    // The pod's own watch refreshes its summary and containers in place: the log keeps streaming.
    let card = parts[1];
    parts.push(containersTable(obj));
    let containers = parts[2];
    ctx.watch(`${pathOf('pods', ns)}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`,
      obj.metadata.resourceVersion, (ev) => {
        if (ev.object?.metadata?.name !== name || ev.type === 'ERROR') return;
        const nextCard = summary(ev.object);
        const nextContainers = containersTable(ev.object);
        card.replaceWith(nextCard);
        containers.replaceWith(nextContainers);
        card = nextCard;
        containers = nextContainers;
      });
    parts.push(logSection(ctx, obj));
  } else if (obj.spec?.selector && resource !== 'services') {
    parts.push(await podsOf(ctx, obj));
  }
  parts.push(await eventsOf(ctx, obj), yamlSection(obj), await historySection(ctx, path));
  ctx.main.append(...parts);
}

// ---- compare two instants ----

const COMPARED = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'pods', 'services',
  'configmaps', 'nodes', 'namespaces'];

function parseInstant(s) {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`"${s}" is not a time such as 2026-12-06T11:00:00Z`);
  return new Date(t);
}

export async function compare(ctx) {
  const from = h('input', { id: 'compare-from', type: 'text', value: ctx.compareFrom ? ctx.compareFrom.toISOString()
    : new Date((clock.asOf || new Date()).getTime() - 5 * 60_000).toISOString() });
  const to = h('input', { id: 'compare-to', type: 'text', value: clock.asOf ? clock.asOf.toISOString() : 'now' });
  const results = h('div', { id: 'compare-results', 'aria-live': 'polite' });
  const run = async (event) => {
    event?.preventDefault();
    results.replaceChildren(h('p', { role: 'status' }, 'Comparing…'));
    try {
      const a = parseInstant(from.value);
      const b = to.value.trim() === 'now' ? null : parseInstant(to.value);
      const rows = [];
      await Promise.all(COMPARED.map(async (resource) => {
        const [before, after] = await Promise.all([get(pathOf(resource), { signal: ctx.signal, at: a }),
          get(pathOf(resource), { signal: ctx.signal, at: b })]);
        const key = (o) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
        const was = new Map((before.items || []).map((o) => [key(o), o]));
        const is = new Map((after.items || []).map((o) => [key(o), o]));
        const kind = RESOURCES[resource].kind;
        for (const [k, o] of is) {
          if (!was.has(k)) rows.push({ kind, k, change: 'added', fields: [] });
          else {
            const d = diff(was.get(k), o);
            if (d.length) rows.push({ kind, k, change: 'changed', fields: d });
          }
        }
        for (const k of was.keys()) if (!is.has(k)) rows.push({ kind, k, change: 'removed', fields: [] });
      }));
      rows.sort((x, y) => x.kind.localeCompare(y.kind) || x.k.localeCompare(y.k));
      results.replaceChildren(table(`What changed from ${a.toISOString()} to ${b ? b.toISOString() : 'now'}`,
        ['kind', 'object', 'change', 'fields'], rows.map((r) => ({
          attrs: { 'data-change': `${r.change} ${r.kind}/${r.k}` },
          cells: [r.kind, r.k, badge(r.change, { added: 'ok', removed: 'bad', changed: 'warn' }[r.change]),
            r.fields.length ? h('details', {}, h('summary', {}, `${r.fields.length} field(s)`), diffList(r.fields))
              : ''],
        })), 'Nothing changed.'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      results.replaceChildren(errorBox(e));
    }
  };
  ctx.main.append(h('h1', {}, 'Compare two instants'),
    h('form', { class: 'card compare', onsubmit: run },
      h('label', { for: 'compare-from' }, 'From'), from,
      h('label', { for: 'compare-to' }, 'To (or "now")'), to,
      h('button', { type: 'submit', id: 'compare-run' }, 'Compare')),
    results);
  if (ctx.compareFrom) await run();
}
