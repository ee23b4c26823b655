// JSON objects written as YAML, as kubectl get -o yaml shows them (block style, keys in the
// object's order, strings quoted only when YAML would read them as something else).

const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./:@ -]*$/;
const SPECIAL = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const s = String(value);
  if (s === '' || !PLAIN.test(s) || SPECIAL.test(s) || /^[0-9.+-]/.test(s) || /[: ]$/.test(s) || s.includes(': ')
      || s.includes(' #')) {
    return JSON.stringify(s);
  }
  return s;
}

function isEmpty(value) {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function lines(value, indent, out) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const inner = [];
        lines(item, indent + 1, inner);
        out.push(pad + '- ' + inner[0].trimStart());
        out.push(...inner.slice(1));
      } else {
        out.push(pad + '- ' + (item !== null && typeof item === 'object' ? (Array.isArray(item) ? '[]' : '{}')
          : scalar(item)));
      }
    }
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const k = scalar(key);
    if (v !== null && typeof v === 'object' && !isEmpty(v)) {
      out.push(`${pad}${k}:`);
      lines(v, Array.isArray(v) ? indent : indent + 1, out);
    } else if (v !== null && typeof v === 'object') {
      out.push(`${pad}${k}: ${Array.isArray(v) ? '[]' : '{}'}`);
    } else if (typeof v === 'string' && v.includes('\n')) {
      out.push(`${pad}${k}: |-`);
      for (const l of v.split('\n')) out.push(`${pad}  ${l}`);
    } else {
      out.push(`${pad}${k}: ${scalar(v)}`);
    }
  }
}

export function toYaml(value) {
  if (value === null || typeof value !== 'object') return scalar(value) + '\n';
  const out = [];
  lines(value, 0, out);
  return out.join('\n') + '\n';
}
