// Field-level differences between two versions of an object, as paths (spec.replicas,
// spec.template.spec.containers[0].image) with the value before and after.

/** Fields that change on every write and say nothing about what changed. */
const NOISE = new Set(['metadata.resourceVersion', 'metadata.managedFields', 'metadata.generation']);

function flatten(value, path, out) {
  if (NOISE.has(path)) return out;
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '[]');
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0 && path) out.set(path, '{}');
    for (const k of keys) flatten(value[k], path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, value);
  }
  return out;
}

/** [{path, op: 'add'|'remove'|'replace', from, to}], in path order. */
export function diff(before, after) {
  const a = flatten(before ?? {}, '', new Map());
  const b = flatten(after ?? {}, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out = [];
  for (const p of paths) {
    if (!a.has(p)) out.push({ path: p, op: 'add', to: b.get(p) });
    else if (!b.has(p)) out.push({ path: p, op: 'remove', from: a.get(p) });
    else if (a.get(p) !== b.get(p)) out.push({ path: p, op: 'replace', from: a.get(p), to: b.get(p) });
  }
  return out;
}
